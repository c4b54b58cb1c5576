package dev.herald.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Runs a test class beside the {@code @QuarkusTest} classes instead of before or after them: JUnit's
 * parallel execution is on (the surefire configuration in the pom), every other class runs in one
 * thread, in order, as without it, and the classes marked here run one at a time in a second thread.
 * Their own methods still run one after another: the shared lock makes JUnit run them in the class's
 * thread.
 *
 * <p>For classes that start processes of their own and mostly wait on them (the broker and job store
 * contracts on nats-server and redis-server, single and clustered: several minutes of JetStream
 * elections and round trips) and share nothing with the application the Quarkus tests start.
 */
@Documented
@Inherited
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock("dev.herald.beside-quarkus-tests")
public @interface BesideQuarkusTests {
}
