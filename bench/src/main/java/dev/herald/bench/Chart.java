package dev.herald.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * Draws W2's latency percentiles (p50, p99, p99.9; log scale) against deliveries per second, from W2
 * JSON lines (one per run; the median of the runs per publish rate):
 * {@code java -jar herald-bench.jar chart results/w2.jsonl bench/chart.png}.
 */
final class Chart {

    private static final Pattern STEP = Pattern.compile("\\{\"rate\":([0-9.]+),[^{}]*?\"deliveries_per_s\":([0-9.]+)"
            + "[^{}]*?\"p50_ms\":([0-9.-]+),\"p90_ms\":[0-9.-]+,\"p99_ms\":([0-9.-]+),\"p999_ms\":([0-9.-]+)");

    private Chart() {
    }

    static void main(String[] args) {
        try {
            Map<Double, List<double[]>> byRate = new TreeMap<>();
            for (String line : Files.readAllLines(Path.of(args[0]))) {
                Matcher m = STEP.matcher(line);
                while (m.find()) {
                    byRate.computeIfAbsent(Double.parseDouble(m.group(1)), k -> new ArrayList<>()).add(new double[] {
                            Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
                            Double.parseDouble(m.group(4)), Double.parseDouble(m.group(5))});
                }
            }
            List<double[]> points = new ArrayList<>();
            byRate.forEach((rate, runs) -> {
                double[] p = new double[4];
                for (int i = 0; i < 4; i++) {
                    int col = i;
                    double[] v = runs.stream().mapToDouble(r -> r[col]).sorted().toArray();
                    p[i] = v[v.length / 2];
                }
                points.add(p);
            });
            draw(points, new File(args.length > 1 ? args[1] : "chart.png"), args.length > 2 ? args[2] : "");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void draw(List<double[]> points, File file, String subtitle) throws IOException {
        int w = 900;
        int h = 560;
        int left = 80;
        int right = 30;
        int top = 60;
        int bottom = 70;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double maxX = points.stream().mapToDouble(p -> p[0]).max().orElse(1) * 1.1;
        double minY = 0.1;
        double maxY = 10_000;
        int pw = w - left - right;
        int ph = h - top - bottom;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(new Color(230, 230, 230));
        for (double y = minY; y <= maxY * 1.001; y *= 10) {
            int py = top + ph - (int) (ph * Math.log10(y / minY) / Math.log10(maxY / minY));
            g.setColor(new Color(225, 225, 225));
            g.drawLine(left, py, left + pw, py);
            g.setColor(Color.DARK_GRAY);
            g.drawString(y < 1 ? String.valueOf(y) : String.valueOf((long) y), left - 50, py + 4);
        }
        double stepX = niceStep(maxX / 8);
        for (double x = 0; x <= maxX; x += stepX) {
            int px = left + (int) (pw * x / maxX);
            g.setColor(new Color(225, 225, 225));
            g.drawLine(px, top, px, top + ph);
            g.setColor(Color.DARK_GRAY);
            g.drawString((long) (x / 1000) + "k", px - 10, top + ph + 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("W2: latency percentiles vs deliveries/s (1 topic, 5,000 SSE subscribers, server on 1 core)",
                left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(subtitle, left, 45);
        g.drawString("deliveries per second (publish rate x subscribers)", left + pw / 2 - 140, h - 25);
        g.drawString("ms (log)", 10, top - 8);
        // 1 s line: the saturation criterion.
        int oneSecond = top + ph - (int) (ph * Math.log10(1000 / minY) / Math.log10(maxY / minY));
        g.setColor(new Color(200, 0, 0));
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        g.drawLine(left, oneSecond, left + pw, oneSecond);
        g.drawString("p99 limit 1 s", left + pw - 90, oneSecond - 4);
        Color[] colors = {new Color(30, 120, 200), new Color(230, 120, 0), new Color(150, 30, 150)};
        String[] names = {"p50", "p99", "p99.9"};
        g.setStroke(new BasicStroke(2f));
        for (int s = 0; s < 3; s++) {
            g.setColor(colors[s]);
            int prevX = -1;
            int prevY = -1;
            for (double[] p : points) {
                double v = Math.max(minY, Math.min(maxY, p[s + 1]));
                int px = left + (int) (pw * p[0] / maxX);
                int py = top + ph - (int) (ph * Math.log10(v / minY) / Math.log10(maxY / minY));
                g.fillOval(px - 4, py - 4, 8, 8);
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, px, py);
                }
                prevX = px;
                prevY = py;
            }
            g.fillRect(left + 15, top + 12 + s * 18, 14, 4);
            g.drawString(names[s], left + 35, top + 18 + s * 18);
        }
        g.dispose();
        ImageIO.write(img, "png", file);
    }

    private static double niceStep(double raw) {
        double exp = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / exp;
        return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * exp;
    }
}
