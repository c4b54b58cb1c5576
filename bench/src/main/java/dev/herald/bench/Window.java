package dev.herald.bench;

import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * A measured window: CPU seconds of the server processes and of this generator, machine-wide busy
 * time (to see other processes), wall time, and the deliveries and latencies recorded meanwhile.
 */
final class Window {

    private final List<Long> serverPids;
    private final Loop loop;
    private final Recorder recorder;
    private double server0;
    private double serverSys0;
    private double self0;
    private long[] machine0;
    private long t0;
    private double load0;
    private final List<Long> redisPids;
    private double redis0;
    private java.util.Map<String, Double> threads0;

    Window(List<Long> serverPids, Loop loop, Recorder recorder) {
        this(serverPids, List.of(), loop, recorder);
    }

    /** {@code redisPids}: Redis processes, whose CPU is reported apart from the Herald nodes'. */
    Window(List<Long> serverPids, List<Long> redisPids, Loop loop, Recorder recorder) {
        this.redisPids = redisPids;
        this.serverPids = serverPids;
        this.loop = loop;
        this.recorder = recorder;
    }

    void start() {
        loop.run(recorder::reset);
        server0 = Proc.cpuSeconds(serverPids);
        serverSys0 = Proc.sysSeconds(serverPids);
        threads0 = Proc.cpuSecondsByThread(serverPids);
        self0 = Proc.cpuSeconds(ProcessHandle.current().pid());
        redis0 = Proc.cpuSeconds(redisPids);
        machine0 = Proc.machineJiffies();
        load0 = Proc.load1();
        t0 = System.nanoTime();
    }

    /** Ends the window and puts its figures into {@code out}; returns the deliveries counted. */
    long end(JsonLine out) {
        double wall = (System.nanoTime() - t0) / 1e9;
        double server = Proc.cpuSeconds(serverPids) - server0;
        double serverSys = Proc.sysSeconds(serverPids) - serverSys0;
        java.util.Map<String, Double> threads = Proc.cpuSecondsByThread(serverPids);
        StringBuilder byThread = new StringBuilder();
        threads.entrySet().stream()
                .map(e -> java.util.Map.entry(e.getKey(), e.getValue() - threads0.getOrDefault(e.getKey(), 0.0)))
                .filter(e -> e.getValue() >= 0.01)
                .sorted(java.util.Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> byThread.append(byThread.isEmpty() ? "" : "; ").append(e.getKey()).append('=')
                        .append(Math.round(e.getValue() * 100) / 100.0));
        double self = Proc.cpuSeconds(ProcessHandle.current().pid()) - self0;
        long[] machine1 = Proc.machineJiffies();
        Object[] snap = loop.call(() -> new Object[] {recorder.deliveries, recorder.latency().copy()});
        long deliveries = (Long) snap[0];
        Histogram h = (Histogram) snap[1];
        double busy = (double) (machine1[0] - machine0[0]) / Math.max(1, machine1[1] - machine0[1]) * machine1[2];
        out.put("window_s", wall)
                .put("deliveries", deliveries)
                .put("deliveries_per_s", deliveries / wall)
                .put("p50_ms", Recorder.ms(h, 50))
                .put("p90_ms", Recorder.ms(h, 90))
                .put("p99_ms", Recorder.ms(h, 99))
                .put("p999_ms", Recorder.ms(h, 99.9))
                .put("max_ms", h.getTotalCount() == 0 ? -1 : h.getMaxValue() / 1000.0)
                .put("server_cpu_s", server)
                .put("server_cpu_util", server / wall)
                .put("server_cpu_us_per_delivery", deliveries == 0 ? null : server * 1e6 / deliveries)
                .put("server_sys_share", server == 0 ? null : serverSys / server)
                .put("server_cpu_s_by_thread", byThread.toString())
                .put("client_cpu_s", self)
                .put("client_cpu_util", self / wall)
                .put("redis_cpu_util", redisPids.isEmpty() ? null : (Proc.cpuSeconds(redisPids) - redis0) / wall)
                .put("other_cpu_util", Math.max(0, busy - (server + self + Proc.cpuSeconds(redisPids) - redis0) / wall))
                .put("load1", Math.max(load0, Proc.load1()));
        return deliveries;
    }
}
