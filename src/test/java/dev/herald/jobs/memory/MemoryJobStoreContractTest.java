package dev.herald.jobs.memory;

import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.JobStoreContractTest;
import java.util.Collections;
import java.util.List;

/** The job store contract against the in-memory store: n nodes are one store. */
class MemoryJobStoreContractTest extends JobStoreContractTest {

    @Override
    protected List<JobStore> stores(int n, JobPolicy policy) {
        return Collections.nCopies(n, new MemoryJobStore(policy));
    }
}
