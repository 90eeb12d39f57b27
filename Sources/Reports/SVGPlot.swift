import Foundation

/// Self-contained SVG plots (no scripts, no external resources): axes with ticks and labels,
/// legends, and colours that survive greyscale printing (distinct lightness).
///
/// Every plot is a pure function of its numbers; the numbers are also written to
/// report.json, so a plot can be checked against its data.
public enum SVGPlot {
    public static let palette = ["#1f4e79", "#d4731c", "#5a9e4b", "#8c3f99", "#b8b8b8", "#c0392b"]
    /// The stroke of a horizontal reference line across a plot (τ, the network's loss, a line
    /// chart's reference value), and of its swatch in a legend.
    static let referenceStroke = "stroke=\"#c0392b\" stroke-dasharray=\"6 4\""

    /// Plot frame: width, height and margins in px.
    struct Frame {
        var width = 640.0, height = 360.0
        var left = 72.0, right = 24.0, top = 40.0, bottom = 56.0
        var plotWidth: Double { width - left - right }
        var plotHeight: Double { height - top - bottom }
        func x(_ t: Double) -> Double { left + t * plotWidth }      // t ∈ [0, 1]
        func y(_ t: Double) -> Double { top + (1 - t) * plotHeight } // t ∈ [0, 1]
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func num(_ v: Double) -> String { String(format: "%.2f", v) }

    /// "Nice" tick values covering [lo, hi].
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(count)
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var t = ceil(lo / step) * step
        var out: [Double] = []
        while t <= hi + step * 1e-9 { out.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return out
    }

    /// The exponents k with 10^k in [10^lo, 10^hi], every one, or every second, fifth, … so that
    /// at most about six are labelled (none when no power of ten lies in the range).
    static func decades(_ lo: Double, _ hi: Double) -> [Int] {
        guard lo.isFinite, hi.isFinite, hi >= lo else { return [] }
        let first = Int(ceil(lo - 1e-9)), last = Int(floor(hi + 1e-9))
        guard first <= last else { return [] }
        let span = last - first
        let step = [1, 2, 5, 10, 20, 50].first { span / $0 <= 6 } ?? max(1, span / 6)
        return stride(from: first, through: last, by: 1).filter { $0 % step == 0 }
    }

    /// 10^k as a tick label: "0.01" … "1000" written out, "1e-6" beyond.
    static func decadeLabel(_ k: Int) -> String {
        if k >= 0 && k <= 3 { return String(Int(pow(10, Double(k)))) }
        if k < 0 && k >= -2 { return k == -1 ? "0.1" : "0.01" }
        return "1e\(k)"
    }

    /// The caption sentence of a plot drawn with `logY` because its values `spansDecades`.
    public static let logarithmicAxisNote = " Logarithmic axis: the values span several decades."

    /// Whether a logarithmic axis shows these values better: all the finite ones positive and
    /// spanning at least two decades (a loss falling from 20 to 10⁻⁶, where a linear axis
    /// leaves everything below 1 on the floor).
    public static func spansDecades(_ values: [Double]) -> Bool {
        let v = values.filter(\.isFinite)
        guard let lo = v.min(), let hi = v.max(), lo > 0 else { return false }
        return hi / lo >= 100
    }

    /// A value's plotted coordinate on a y axis: itself, or with `logY` its decimal logarithm;
    /// nil when it is not drawn (not finite, or not positive on a log axis).
    static func coordinate(_ v: Double, logY: Bool) -> Double? {
        guard v.isFinite else { return nil }
        if logY { return v > 0 ? log10(v) : nil }
        return v
    }

    /// The y ticks of coordinates y0…y1, as fractions of the axis with their labels: powers
    /// of ten on a log axis, "nice" values otherwise.
    static func yTicks(_ y0: Double, _ y1: Double, logY: Bool) -> [(Double, String)] {
        logY ? decades(y0, y1).map { ((Double($0) - y0) / (y1 - y0), decadeLabel($0)) }
             : ticks(y0, y1).map { (($0 - y0) / (y1 - y0), tickLabel($0)) }
    }

    static func tickLabel(_ v: Double) -> String {
        if v == 0 { return "0" }
        if v == v.rounded() && abs(v) < 1e7 { return String(Int(v)) }
        return String(format: "%.3g", v)
    }

    static func open(_ f: Frame, title: String, id: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" id="\(esc(id))" class="plot" viewBox="0 0 \(Int(f.width)) \(Int(f.height))" width="\(Int(f.width))" height="\(Int(f.height))" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="\(esc(title))">
        <rect x="0" y="0" width="\(Int(f.width))" height="\(Int(f.height))" fill="white"/>
        <text x="\(num(f.width / 2))" y="22" text-anchor="middle" font-size="15" font-weight="bold">\(esc(title))</text>

        """
    }

    static func axes(_ f: Frame, xLabel: String, yLabel: String, xTicks: [(Double, String)], yTicks: [(Double, String)]) -> String {
        var s = "<g class=\"axes\" stroke=\"#333\" stroke-width=\"1\">\n"
        s += "<line x1=\"\(num(f.left))\" y1=\"\(num(f.y(0)))\" x2=\"\(num(f.x(1)))\" y2=\"\(num(f.y(0)))\"/>\n"
        s += "<line x1=\"\(num(f.left))\" y1=\"\(num(f.y(0)))\" x2=\"\(num(f.left))\" y2=\"\(num(f.y(1)))\"/>\n"
        for (t, label) in xTicks {
            s += "<line x1=\"\(num(f.x(t)))\" y1=\"\(num(f.y(0)))\" x2=\"\(num(f.x(t)))\" y2=\"\(num(f.y(0) + 5))\"/>"
            s += "<text x=\"\(num(f.x(t)))\" y=\"\(num(f.y(0) + 18))\" text-anchor=\"middle\" stroke=\"none\" fill=\"#333\">\(esc(label))</text>\n"
        }
        for (t, label) in yTicks {
            s += "<line x1=\"\(num(f.left - 5))\" y1=\"\(num(f.y(t)))\" x2=\"\(num(f.left))\" y2=\"\(num(f.y(t)))\"/>"
            s += "<line x1=\"\(num(f.left))\" y1=\"\(num(f.y(t)))\" x2=\"\(num(f.x(1)))\" y2=\"\(num(f.y(t)))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(num(f.left - 8))\" y=\"\(num(f.y(t) + 4))\" text-anchor=\"end\" stroke=\"none\" fill=\"#333\">\(esc(label))</text>\n"
        }
        s += "</g>\n"
        s += "<text x=\"\(num(f.x(0.5)))\" y=\"\(num(f.height - 12))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        // The y label 58 px left of the axis (x = 14 in the standard frame).
        let lx = f.left - 58, lxs = lx == lx.rounded() ? String(Int(lx)) : num(lx)
        s += "<text x=\"\(lxs)\" y=\"\(num(f.y(0.5)))\" text-anchor=\"middle\" transform=\"rotate(-90 \(lxs) \(num(f.y(0.5))))\">\(esc(yLabel))</text>\n"
        return s
    }

    /// The size of a legend of these names: 18 px per name, about 6.5 px per character at the
    /// 12 px font after the swatch, at least 150 px wide.
    static func legendSize(_ names: [String]) -> (width: Double, height: Double) {
        (max(150, 18 + 6.5 * Double(names.map(\.count).max() ?? 0)), 18 * Double(names.count))
    }

    /// Where a legend goes inside the plot: its top right corner, or the first of the other
    /// corners (top left, bottom right, bottom left) that no drawn line crosses when `paths`
    /// (the plotted paths, in SVG coordinates) cross the top right one; when every corner is
    /// crossed, the least crossed, with `crossed` set.
    static func legendCorner(_ f: Frame, _ names: [String], avoiding paths: [[(Double, Double)]]) -> (x: Double, y: Double, crossed: Bool) {
        let (w, h) = legendSize(names)
        let corners: [(x: Double, y: Double)] = [(f.x(1) - 150, f.top + 6), (f.left + 10, f.top + 6),
                                                 (f.x(1) - 150, f.y(0) - h - 2), (f.left + 10, f.y(0) - h - 2)]
        func hits(_ c: (x: Double, y: Double)) -> Int {
            let x0 = c.x - 4, x1 = c.x + w, y0 = c.y - 4, y1 = c.y + h
            func inside(_ p: (Double, Double)) -> Bool { p.0 >= x0 && p.0 <= x1 && p.1 >= y0 && p.1 <= y1 }
            var n = 0
            for path in paths {
                if path.count == 1 { n += inside(path[0]) ? 1 : 0 }
                for (a, b) in zip(path, path.dropFirst()) {
                    for k in 0...40 {
                        let t = Double(k) / 40
                        if inside((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))) { n += 1 }
                    }
                }
            }
            return n
        }
        guard !paths.isEmpty && hits(corners[0]) > 0 else { return (corners[0].x, corners[0].y, false) }
        let counts = corners.map(hits)
        let best = corners[counts.firstIndex(of: counts.min()!)!]
        return (best.x, best.y, counts.min()! > 0)
    }

    /// The legend of several series: a swatch and a name per series, at `corner` (default: the
    /// plot's top right corner).
    static func legend(_ f: Frame, _ names: [String], at corner: (x: Double, y: Double)? = nil,
                       dashedLine: String? = nil) -> String {
        guard names.count > 1 else { return "" }
        let corner = corner ?? (f.x(1) - 150, f.top + 6)
        var s = "<g class=\"legend\">\n"
        for (i, n) in names.enumerated() {
            let y = corner.y + Double(i) * 18
            s += "<rect x=\"\(num(corner.x))\" y=\"\(num(y))\" width=\"12\" height=\"12\" fill=\"\(palette[i % palette.count])\" fill-opacity=\"0.8\"/>"
            s += "<text x=\"\(num(corner.x + 18))\" y=\"\(num(y + 10))\">\(esc(n))</text>\n"
        }
        // A last row for a reference line drawn across the plot (valueBars), in its dashes.
        if let d = dashedLine {
            let y = corner.y + Double(names.count) * 18 + 6
            s += "<line class=\"legend-threshold\" x1=\"\(num(corner.x))\" y1=\"\(num(y))\" x2=\"\(num(corner.x + 12))\" y2=\"\(num(y))\" \(referenceStroke)/>"
            s += "<text x=\"\(num(corner.x + 18))\" y=\"\(num(y + 4))\">\(esc(d))</text>\n"
        }
        return s + "</g>\n"
    }

    /// Overlaid histograms sharing bin edges (e.g. max normalized power at initialization and
    /// at the end of training). Bars of each series are drawn side by side within a bin.
    public static func histogram(id: String, title: String, edges: [Double], series: [(name: String, counts: [Int])],
                                 xLabel: String = "max normalized power", yLabel: String = "neurons") -> String {
        let f = Frame()
        let lo = edges.first ?? 0, hi = edges.last ?? 1
        let maxCount = max(series.flatMap(\.counts).max() ?? 1, 1)
        let yTicks = ticks(0, Double(maxCount)).filter { $0 == $0.rounded() }.map { ($0 / Double(maxCount), tickLabel($0)) }
        let xTicks = ticks(lo, hi).map { (($0 - lo) / (hi - lo), tickLabel($0)) }
        var s = open(f, title: title, id: id)
        s += axes(f, xLabel: xLabel, yLabel: yLabel, xTicks: xTicks, yTicks: yTicks)
        let k = Double(max(series.count, 1))
        for (si, ser) in series.enumerated() {
            s += "<g class=\"series\" data-name=\"\(esc(ser.name))\" fill=\"\(palette[si % palette.count])\" fill-opacity=\"0.85\">\n"
            for (b, c) in ser.counts.enumerated() where b + 1 < edges.count {
                let x0 = (edges[b] - lo) / (hi - lo), x1 = (edges[b + 1] - lo) / (hi - lo)
                let w = (x1 - x0) / k
                let xa = f.x(x0 + w * Double(si)), xb = f.x(x0 + w * Double(si + 1))
                let h = Double(c) / Double(maxCount)
                s += "<rect x=\"\(num(xa))\" y=\"\(num(f.y(h)))\" width=\"\(num(max(xb - xa - 0.5, 0.5)))\" height=\"\(num(f.y(0) - f.y(h)))\" data-count=\"\(c)\"><title>\(esc(ser.name)): \(c) in [\(tickLabel(edges[b])), \(tickLabel(edges[b + 1])))</title></rect>\n"
            }
            s += "</g>\n"
        }
        s += legend(f, series.map(\.name))
        return s + "</svg>\n"
    }

    /// Every how many categories an axis label is drawn: at most about 24 labels, and none wider
    /// than its share of the axis (about 6.7 px per character of the 12 px font, 2 px apart), so
    /// that long irrep labels ("[1,1,1,1,1]") or many of them do not run into each other.
    static func labelStride(_ labels: [String], plotWidth: Double) -> Int {
        let n = max(labels.count, 1)
        let widest = Double(labels.map(\.count).max() ?? 0) * 6.7 + 2
        return max(1, n / 24, Int((widest / (plotWidth / Double(n))).rounded(.up)))
    }

    /// Bar chart of counts per category; `marked` categories (e.g. unused irreps) are drawn
    /// hatched in red with a label, so "never used" is visible even when the count is 0.
    public static func bars(id: String, title: String, labels: [String], counts: [Int], marked: Set<Int> = [],
                            xLabel: String, yLabel: String = "neurons") -> String {
        let f = Frame()
        let maxCount = max(counts.max() ?? 1, 1)
        let n = max(labels.count, 1)
        // Counts: ticks at whole numbers only (no "1.5 runs").
        let yTicks = ticks(0, Double(maxCount)).filter { $0 == $0.rounded() }.map { ($0 / Double(maxCount), tickLabel($0)) }
        let every = labelStride(labels, plotWidth: f.plotWidth)
        let xTicks = labels.indices.filter { $0 % every == 0 }.map { ((Double($0) + 0.5) / Double(n), labels[$0]) }
        var s = open(f, title: title, id: id)
        s += "<defs><pattern id=\"\(esc(id))-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#c0392b\" stroke-width=\"2\"/></pattern></defs>\n"
        s += axes(f, xLabel: xLabel, yLabel: yLabel, xTicks: xTicks, yTicks: yTicks)
        s += "<g class=\"series\" fill=\"\(palette[0])\">\n"
        for (i, c) in counts.enumerated() {
            let x0 = f.x(Double(i) / Double(n)), x1 = f.x(Double(i + 1) / Double(n))
            let h = Double(c) / Double(maxCount)
            if marked.contains(i) {
                s += "<rect x=\"\(num(x0 + 1))\" y=\"\(num(f.y(1)))\" width=\"\(num(max(x1 - x0 - 2, 1)))\" height=\"\(num(f.plotHeight))\" fill=\"url(#\(esc(id))-hatch)\" fill-opacity=\"0.35\" data-marked=\"true\" data-count=\"\(c)\"><title>\(esc(labels[i])): unused</title></rect>\n"
            } else {
                s += "<rect x=\"\(num(x0 + 1))\" y=\"\(num(f.y(h)))\" width=\"\(num(max(x1 - x0 - 2, 1)))\" height=\"\(num(f.y(0) - f.y(h)))\" data-count=\"\(c)\"><title>\(esc(labels[i])): \(c)</title></rect>\n"
            }
        }
        s += "</g>\n"
        if !marked.isEmpty {
            s += "<text x=\"\(num(f.x(1)))\" y=\"\(num(f.top - 4))\" text-anchor=\"end\" fill=\"#c0392b\">hatched: never used (\(marked.count))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Heatmap of shares (rows = neurons or components, columns = components), values in
    /// [0, 1], white to dark blue. The colour scale runs from 0 to the largest value of the map
    /// (a legend above the plot gives it), so that a map whose largest share is small — a ReLU
    /// neuron's power spread over many blocks — is as legible as one near 1; cells below 0.5 %
    /// of that largest value are left white. `rowLabels` names the rows at their centres (the
    /// components of a G × G map); without them rows are numbered.
    public static func heatmap(id: String, title: String, rows: [[Double]], columnLabels: [String], rowLabels: [String]? = nil,
                               xLabel: String, yLabel: String = "neuron (sorted by dominant component)") -> String {
        let f = Frame()
        let nr = max(rows.count, 1), nc = max(columnLabels.count, 1)
        var s = open(f, title: title, id: id)
        let every = labelStride(columnLabels, plotWidth: f.plotWidth)
        let xTicks = columnLabels.indices.filter { $0 % every == 0 }.map { ((Double($0) + 0.5) / Double(nc), columnLabels[$0]) }
        let yTicks: [(Double, String)]
        if let rowLabels, rowLabels.count == rows.count {
            // Row labels 14 px apart at least.
            let step = max(1, Int((14 / (f.plotHeight / Double(nr))).rounded(.up)))
            yTicks = rowLabels.indices.filter { $0 % step == 0 }.map { (1 - (Double($0) + 0.5) / Double(nr), rowLabels[$0]) }
        } else {
            yTicks = ticks(0, Double(nr)).map { ($0 / Double(nr), tickLabel($0)) }.map { (1 - $0.0, $0.1) }
        }
        let top = rows.joined().filter(\.isFinite).max() ?? 0
        let scale = top > 0 ? min(top, 1) : 1
        func colour(_ v: Double) -> String {
            let t = min(max(v / scale, 0), 1)
            let shade = Int(255 - t * 225)
            return String(format: "#%02x%02x%02x", shade, shade, min(255, shade + Int(t * 60)))
        }
        // Axes and grid first: the cells cover the grid lines.
        s += axes(f, xLabel: xLabel, yLabel: yLabel, xTicks: xTicks, yTicks: yTicks)
        s += "<g class=\"cells\" shape-rendering=\"crispEdges\" data-scale=\"\(num(scale))\">\n"
        let cw = f.plotWidth / Double(nc), ch = f.plotHeight / Double(nr)
        for (r, row) in rows.enumerated() {
            for (c, v) in row.enumerated() where v > 0.005 * scale {
                s += "<rect x=\"\(num(f.left + Double(c) * cw))\" y=\"\(num(f.top + Double(r) * ch))\" width=\"\(num(cw + 0.3))\" height=\"\(num(ch + 0.3))\" fill=\"\(colour(v))\"/>"
            }
            s += "\n"
        }
        s += "</g>\n"
        // The colour scale: five swatches from 0 to the largest value, above the plot's right end.
        let lx = f.left + f.plotWidth - 5 * 16 - 34, ly = f.top - 22
        s += "<g class=\"colour-scale\" font-size=\"10\">\n"
        for k in 0..<5 {
            s += "<rect x=\"\(num(lx + Double(k) * 16))\" y=\"\(num(ly))\" width=\"16\" height=\"8\" fill=\"\(colour(scale * Double(k) / 4))\" stroke=\"#999\" stroke-width=\"0.5\"/>"
        }
        s += "\n<text x=\"\(num(lx - 4))\" y=\"\(num(ly + 8))\" text-anchor=\"end\" stroke=\"none\" fill=\"#333\">0</text>"
        s += "<text x=\"\(num(lx + 5 * 16 + 4))\" y=\"\(num(ly + 8))\" text-anchor=\"start\" stroke=\"none\" fill=\"#333\">\(esc(tickLabel(scale)))</text>\n</g>\n"
        return s + "</svg>\n"
    }

    /// Scatter plot.
    public static func scatter(id: String, title: String, points: [(Double, Double)], xRange: ClosedRange<Double>,
                               yRange: ClosedRange<Double>, xLabel: String, yLabel: String) -> String {
        let f = Frame()
        var s = open(f, title: title, id: id)
        let xs = xRange.upperBound - xRange.lowerBound, ys = yRange.upperBound - yRange.lowerBound
        s += axes(f, xLabel: xLabel, yLabel: yLabel,
                  xTicks: ticks(xRange.lowerBound, xRange.upperBound).map { (($0 - xRange.lowerBound) / xs, tickLabel($0)) },
                  yTicks: ticks(yRange.lowerBound, yRange.upperBound).map { (($0 - yRange.lowerBound) / ys, tickLabel($0)) })
        s += "<g class=\"series\" fill=\"\(palette[0])\" fill-opacity=\"0.7\">\n"
        for (x, y) in points where x.isFinite && y.isFinite {
            s += "<circle cx=\"\(num(f.x((x - xRange.lowerBound) / xs)))\" cy=\"\(num(f.y((y - yRange.lowerBound) / ys)))\" r=\"3\"/>"
        }
        return s + "\n</g>\n</svg>\n"
    }

    /// Line chart of several series against a shared x axis, with an optional dashed
    /// reference line (e.g. γ* or 1.0). With `logY` the y axis is logarithmic (ticks at powers
    /// of ten, "(log scale)" added to its label) and values that are not positive are left out.
    /// The legend takes a corner of the plot that no line crosses; when the lines cross every
    /// corner, the chart is drawn wider and the legend sits to the right of the plot, so that it
    /// hides no point.
    public static func lines(id: String, title: String, series: [(name: String, x: [Double], y: [Double])],
                             xLabel: String, yLabel: String, reference: (value: Double, label: String)? = nil,
                             logY: Bool = false) -> String {
        func coordinate(_ y: Double) -> Double? { SVGPlot.coordinate(y, logY: logY) }
        let allX = series.flatMap(\.x).filter(\.isFinite)
        let allY = (series.flatMap(\.y) + (reference.map { [$0.value] } ?? [])).compactMap(coordinate)
        let x0 = allX.min() ?? 0, x1 = max(allX.max() ?? 1, x0 + 1e-12)
        var y0 = allY.min() ?? 0, y1 = allY.max() ?? 1
        if y0 == y1 { y0 -= 0.5; y1 += 0.5 }
        let pad = (y1 - y0) * 0.05
        y0 -= pad; y1 += pad
        // The chart in frame f, and the drawn lines in SVG coordinates, for the legend to avoid.
        func draw(_ f: Frame) -> (svg: String, paths: [[(Double, Double)]]) {
            var s = open(f, title: title, id: id)
            s += axes(f, xLabel: xLabel, yLabel: logY ? yLabel + " (log scale)" : yLabel,
                      xTicks: ticks(x0, x1).map { (($0 - x0) / (x1 - x0), tickLabel($0)) },
                      yTicks: yTicks(y0, y1, logY: logY))
            var paths: [[(Double, Double)]] = []
            if let r = reference, let v = coordinate(r.value) {
                let y = f.y((v - y0) / (y1 - y0))
                s += "<line x1=\"\(num(f.left))\" y1=\"\(num(y))\" x2=\"\(num(f.x(1)))\" y2=\"\(num(y))\" \(referenceStroke)/>"
                s += "<text x=\"\(num(f.x(1) - 4))\" y=\"\(num(y - 5))\" text-anchor=\"end\" fill=\"#c0392b\">\(esc(r.label))</text>\n"
                paths.append([(f.left, y), (f.x(1), y)])
            }
            for (i, ser) in series.enumerated() {
                let xy = zip(ser.x, ser.y).compactMap { x, y in x.isFinite ? coordinate(y).map { (x, $0) } : nil }
                    .map { (f.x(($0.0 - x0) / (x1 - x0)), f.y(($0.1 - y0) / (y1 - y0))) }
                paths.append(xy)
                let colour = palette[i % palette.count]
                s += "<polyline class=\"series\" data-name=\"\(esc(ser.name))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(xy.map { "\(num($0.0)),\(num($0.1))" }.joined(separator: " "))\"/>\n"
                for (x, y) in xy { s += "<circle cx=\"\(num(x))\" cy=\"\(num(y))\" r=\"2.5\" fill=\"\(colour)\"/>" }
                s += "\n"
            }
            return (s, paths)
        }
        let names = series.map(\.name)
        let f = Frame()
        let (svg, paths) = draw(f)
        let corner = legendCorner(f, names, avoiding: paths)
        guard names.count > 1 && corner.crossed else { return svg + legend(f, names, at: (corner.x, corner.y)) + "</svg>\n" }
        // Every corner crossed: the same plot area, the chart widened by the legend's width.
        var wide = Frame()
        let extra = legendSize(names).width + 24
        wide.width += extra; wide.right += extra
        return draw(wide).svg + legend(wide, names, at: (wide.x(1) + 16, wide.top + 6)) + "</svg>\n"
    }
}
