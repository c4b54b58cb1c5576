package dev.herald.transport.ws;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.config.HeraldConfig;
import dev.herald.jobs.http.JobParser;
import dev.herald.jobs.http.JobReports;
import dev.herald.jobs.http.LeaseWaiters;
import dev.herald.publish.PublishParser;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * What WebSocket workers ({@link WsWorker}) share: the waiting leases, the reports and the job rules. A
 * singleton, not application-scoped: workers read its fields, which a client proxy would not carry.
 */
@Singleton
public class WsJobs {

    final LeaseWaiters waiters;
    final JobReports reports;
    final JobParser parser;
    final int maxPrefetch;
    final Duration visibility;

    public WsJobs(LeaseWaiters waiters, JobReports reports, ObjectMapper mapper, HeraldConfig config) {
        this.waiters = waiters;
        this.reports = reports;
        this.parser = new JobParser(new PublishParser(mapper, config.publish()), config.jobs().maxAttempts(),
                config.publish().maxBatchSize());
        this.maxPrefetch = config.jobs().maxLeaseBatch();
        this.visibility = config.jobs().visibility();
    }
}
