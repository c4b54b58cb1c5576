package dev.herald.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What /proc and the JDK tools say about a process: CPU ticks, RSS, heap after a full GC. */
final class Proc {

    /** USER_HZ: utime and stime in /proc/<pid>/stat are in these ticks (100 on Linux x86-64). */
    static final double TICKS_PER_SECOND = 100.0;

    private Proc() {
    }

    /** utime + stime of a process, in seconds. */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long utime = Long.parseLong(f[11]);
            long stime = Long.parseLong(f[12]);
            return (utime + stime) / TICKS_PER_SECOND;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + "/stat", e);
        }
    }

    /** stime of a process (kernel side: syscalls, and the loopback network stack they run), in seconds. */
    static double sysSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[12]) / TICKS_PER_SECOND;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + "/stat", e);
        }
    }

    static double sysSeconds(List<Long> pids) {
        double sum = 0;
        for (long pid : pids) {
            sum += sysSeconds(pid);
        }
        return sum;
    }

    static double cpuSeconds(List<Long> pids) {
        double sum = 0;
        for (long pid : pids) {
            sum += cpuSeconds(pid);
        }
        return sum;
    }

    /** Machine-wide busy and total jiffies and the CPU count, from /proc/stat (to see other processes). */
    static long[] machineJiffies() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            long cpus = Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.matches("cpu[0-9]+ .*")).count();
            return new long[] {total - idle, total, cpus};
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static double load1() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * utime + stime per thread kind, in seconds, summed over the processes' live threads: the kernel's
     * thread name (at most 15 characters, e.g. "C2 CompilerThre", "VM Thread", "vert.x-eventloo")
     * with digits replaced by N. Threads that ended are not counted.
     */
    static java.util.Map<String, Double> cpuSecondsByThread(List<Long> pids) {
        java.util.Map<String, Double> by = new java.util.TreeMap<>();
        for (long pid : pids) {
            try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
                for (Path task : (Iterable<Path>) tasks::iterator) {
                    try {
                        String stat = Files.readString(task.resolve("stat"));
                        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "N");
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
                        by.merge(name, cpu, Double::sum);
                    } catch (IOException | RuntimeException gone) {
                        // the thread ended meanwhile
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot list /proc/" + pid + "/task", e);
            }
        }
        return by;
    }

    /** Resident set size in KiB (VmRSS). */
    static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    /** Runs a full GC in the process ({@code jcmd <pid> GC.run}). */
    static void fullGc(long pid) {
        run(List.of(jdkTool("jcmd"), Long.toString(pid), "GC.run"));
    }

    /** Heap used in KiB (survivors + eden + old), from {@code jstat -gc}. */
    static long heapUsedKib(long pid) {
        String out = run(List.of(jdkTool("jstat"), "-gc", Long.toString(pid)));
        String[] lines = out.trim().split("\n");
        String[] head = lines[0].trim().split("\\s+");
        String[] vals = lines[1].trim().split("\\s+");
        double used = 0;
        for (int i = 0; i < head.length; i++) {
            if (head[i].equals("S0U") || head[i].equals("S1U") || head[i].equals("EU") || head[i].equals("OU")) {
                used += Double.parseDouble(vals[i]);
            }
        }
        return Math.round(used);
    }

    private static String jdkTool(String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }

    private static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(command + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(command + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
