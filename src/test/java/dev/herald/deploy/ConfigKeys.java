package dev.herald.deploy;

import dev.herald.config.HeraldConfig;
import io.quarkus.runtime.annotations.ConfigPhase;
import io.quarkus.runtime.annotations.ConfigRoot;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.ConfigMappingInterface;
import io.smallrye.config.ConfigMappings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Which environment variables the application actually reads. An environment variable reaches a
 * property only when its name is that property's name in upper case with every other character as
 * {@code _} (HERALD_SHUTDOWN_DRAIN_DELAY is herald.shutdown.drain-delay): a misspelt one is silently
 * ignored, which this class lets a test catch.
 */
final class ConfigKeys {

    private final Map<String, ConfigMappingInterface.Property> herald;
    private final List<Pattern> runtime = new ArrayList<>();

    ConfigKeys() {
        herald = ConfigMappings.getProperties(ConfigMappings.ConfigClass.configClass(HeraldConfig.class, "herald"));
        for (String name : herald.keySet()) {
            runtime.add(envPattern(name));
        }
        quarkusRuntimeRoots().forEach(root -> ConfigMappings.getProperties(ConfigMappings.ConfigClass.configClass(root))
                .keySet().forEach(name -> runtime.add(envPattern(name))));
        jwtPropertyNames().forEach(name -> runtime.add(envPattern(name)));
    }

    /** herald.x.y's default from {@link HeraldConfig} (what runs when the environment leaves it out). */
    String heraldDefault(String property) {
        ConfigMappingInterface.Property p = herald.get(property);
        if (p == null || !p.hasDefaultValue()) {
            throw new AssertionError("HeraldConfig has no default for " + property);
        }
        return p.getDefaultValue();
    }

    boolean isHeraldProperty(String envName) {
        return herald.keySet().stream().anyMatch(name -> envName.equals(envName(name)));
    }

    /** True when some run-time property of Herald, Quarkus or smallrye-jwt reads this variable. */
    boolean isRuntimeProperty(String envName) {
        return runtime.stream().anyMatch(p -> p.matcher(envName).matches());
    }

    static String envName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase();
    }

    /**
     * The environment form of a property name, where a map key ({@code *}) stands for any name and may
     * also be left out (the unnamed default key, as in quarkus.redis.hosts for the default client).
     */
    private static Pattern envPattern(String property) {
        StringBuilder regex = new StringBuilder();
        String[] segments = property.split("\\.");
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            String separator = i == 0 ? "" : "_";
            if (segment.equals("*") || segment.equals("\"*\"")) {
                regex.append("(?:").append(separator).append("[A-Z0-9_]+)?");
            } else {
                regex.append(separator).append(Pattern.quote(envName(segment.replace("[*]", ""))));
                if (segment.endsWith("[*]")) {
                    regex.append("(?:_[0-9]+_)?");
                }
            }
        }
        return Pattern.compile(regex.toString());
    }

    /** Quarkus' config roots of phase RUN_TIME: build-time properties set at run time do nothing. */
    private static List<Class<?>> quarkusRuntimeRoots() {
        List<Class<?>> roots = new ArrayList<>();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        try {
            for (URL list : Collections.list(loader.getResources("META-INF/quarkus-config-roots.list"))) {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(list.openStream(), StandardCharsets.UTF_8))) {
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        String className = line.trim();
                        if (className.isEmpty() || className.startsWith("#")) {
                            continue;
                        }
                        Class<?> root;
                        try {
                            root = Class.forName(className, false, loader);
                        } catch (ClassNotFoundException | LinkageError e) {
                            continue; // a deployment-only root
                        }
                        ConfigRoot configRoot = root.getAnnotation(ConfigRoot.class);
                        if (root.isAnnotationPresent(ConfigMapping.class) && configRoot != null
                                && configRoot.phase() == ConfigPhase.RUN_TIME) {
                            roots.add(root);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return roots;
    }

    /** mp.jwt.* and smallrye.jwt.* are plain MicroProfile Config lookups, not mappings. */
    private static Set<String> jwtPropertyNames() {
        Set<String> names = new HashSet<>();
        for (String className : List.of("org.eclipse.microprofile.jwt.config.Names",
                "io.smallrye.jwt.config.JWTAuthContextInfoProvider")) {
            Class<?> type;
            try {
                type = Class.forName(className, false, Thread.currentThread().getContextClassLoader());
            } catch (ClassNotFoundException e) {
                throw new AssertionError("smallrye-jwt changed: " + className + " is gone", e);
            }
            for (Field field : type.getDeclaredFields()) {
                ConfigProperty property = field.getAnnotation(ConfigProperty.class);
                if (property != null) {
                    names.add(property.name());
                } else if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
                    try {
                        field.setAccessible(true);
                        String value = (String) field.get(null);
                        if (value != null && value.startsWith("mp.jwt.")) {
                            names.add(value);
                        }
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        // not a name constant
                    }
                }
            }
        }
        return names;
    }
}
