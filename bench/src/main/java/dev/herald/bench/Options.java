package dev.herald.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --key value} arguments with defaults. */
final class Options {

    private final Map<String, String> values = new HashMap<>();
    final String workload;

    Options(String[] args) {
        workload = args.length > 0 ? args[0].toUpperCase() : "W1";
        for (int i = 1; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --key value, got " + args[i]);
            }
            values.put(args[i].substring(2), args[i + 1]);
        }
    }

    String str(String key, String def) {
        return values.getOrDefault(key, def);
    }

    int integer(String key, int def) {
        return Integer.parseInt(str(key, Integer.toString(def)));
    }

    double number(String key, double def) {
        return Double.parseDouble(str(key, Double.toString(def)));
    }

    List<Long> longs(String key, String def) {
        List<Long> out = new ArrayList<>();
        for (String s : str(key, def).split(",")) {
            if (!s.isBlank()) {
                out.add(Long.parseLong(s.trim()));
            }
        }
        return out;
    }

    List<Double> doubles(String key, String def) {
        List<Double> out = new ArrayList<>();
        for (String s : str(key, def).split(",")) {
            if (!s.isBlank()) {
                out.add(Double.parseDouble(s.trim()));
            }
        }
        return out;
    }
}
