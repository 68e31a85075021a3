package io.lumaharvester.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The held-tasks benchmark's curve ({@link HeldTasksIT}), drawn from its CSV: CPU per poll (without the JIT), heap
 * after a full collection and live threads against the tasks held, on a log axis, one line per kind of task (bare,
 * 4 KB of metadata). Three panels over one axis. Headless: {@code main(csv, png)} runs without a display.
 */
public final class HeldTasksChart {

    private HeldTasksChart() {
    }

    public static void main(String[] args) throws IOException {
        draw(Path.of(args[0]), Path.of(args[1]));
    }

    /** Reads {@code csv} (HeldTasksIT's columns) and writes the chart to {@code png}. */
    public static void draw(Path csv, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<String> lines = Files.readAllLines(csv);
        List<String> columns = Arrays.asList(lines.get(0).split(","));
        Map<String, List<String[]>> byKind = new TreeMap<>();
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                String[] cells = line.split(",", -1);
                byKind.computeIfAbsent(cells[columns.indexOf("kind")], k -> new ArrayList<>()).add(cells);
            }
        }
        LogAxis tasks = new LogAxis("tasks held (log scale)");
        tasks.setBase(10);
        tasks.setTickUnit(new NumberTickUnit(1));
        tasks.setNumberFormatOverride(new java.text.DecimalFormat("#,##0"));
        tasks.setSmallestValue(100);
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(tasks);
        plot.setGap(12);
        plot.add(panel(byKind, columns, "cpu_per_poll_without_jit_us", "CPU per poll, µs (JIT excluded)", true), 1);
        plot.add(panel(byKind, columns, "heap_after_gc_mb", "heap after full GC, MB", false), 1);
        plot.add(panel(byKind, columns, "live_threads", "live threads", false), 1);
        JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.addSubtitle(new TextTitle("Tasks held, polled every 60 s, API answering after 250 ms (HeldTasksIT)",
                new Font(Font.SANS_SERIF, Font.BOLD, 14)));
        chart.setBackgroundPaint(Color.WHITE);
        Files.createDirectories(png.toAbsolutePath().getParent());
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 800, 900);
    }

    /** One kind's colour in every panel; the legend comes from the first panel only. */
    private static final Color[] COLOURS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};

    private static XYPlot panel(Map<String, List<String[]>> byKind, List<String> columns, String column,
            String label, boolean inLegend) {
        XYSeriesCollection data = new XYSeriesCollection();
        byKind.forEach((kind, rows) -> {
            XYSeries series = new XYSeries(kind);
            for (String[] row : rows) {
                // a run without a CPU window (smoke size) has no CPU or thread figures
                if (row[columns.indexOf(column)].isEmpty()) {
                    continue;
                }
                series.add(Double.parseDouble(row[columns.indexOf("tasks")]),
                        Double.parseDouble(row[columns.indexOf(column)]));
            }
            data.addSeries(series);
        });
        XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            lines.setSeriesStroke(i, new BasicStroke(2f));
            lines.setSeriesPaint(i, COLOURS[i % COLOURS.length]);
            lines.setSeriesShape(i, new java.awt.geom.Ellipse2D.Double(-4, -4, 8, 8));
        }
        lines.setDefaultSeriesVisibleInLegend(inLegend);
        lines.setDefaultItemLabelsVisible(false);
        NumberAxis values = new NumberAxis(label);
        values.setAutoRangeIncludesZero(true);
        XYPlot panel = new XYPlot(data, null, values, lines);
        panel.setRangeAxisLocation(AxisLocation.BOTTOM_OR_LEFT);
        panel.setBackgroundPaint(Color.WHITE);
        panel.setDomainGridlinePaint(Color.LIGHT_GRAY);
        panel.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return panel;
    }
}
