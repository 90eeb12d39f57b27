import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Reports

/// Collects elements and attributes while checking that a document is well-formed XML.
final class ElementCollector: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append((name, attributes))
    }

    static func parse(_ text: String) -> ElementCollector? {
        let c = ElementCollector()
        let p = XMLParser(data: Data(text.utf8))
        p.delegate = c
        return p.parse() ? c : nil
    }
}

@Suite struct SVGPlotTests {
    /// A line chart's legend keeps the top right corner unless a line crosses it, then takes a
    /// free corner: a rising line (top right crossed) puts it top left; lines that fill the
    /// top (rising and falling) put it at the bottom right; lines through every corner put it
    /// outside the plot, on its right.
    @Test func legendAvoidsTheLines() throws {
        func legendAt(_ series: [(name: String, x: [Double], y: [Double])]) throws -> (Double, Double) {
            let doc = try #require(ElementCollector.parse(SVGPlot.lines(id: "l", title: "t", series: series, xLabel: "x", yLabel: "y")))
            // The legend's first swatch: the first 12 × 12 rect after the axes.
            let r = try #require(doc.elements.first { $0.name == "rect" && $0.attributes["width"] == "12" })
            return (Double(r.attributes["x"]!)!, Double(r.attributes["y"]!)!)
        }
        let away: [(name: String, x: [Double], y: [Double])] = [("a", [0, 1, 2], [1, 0, 0]), ("b", [0, 1, 2], [0.2, 0.1, 0])]
        let rising: [(name: String, x: [Double], y: [Double])] = [("a", [0, 1], [0, 1]), ("b", [0, 1], [0, 0.5])]
        let vee: [(name: String, x: [Double], y: [Double])] = [("a", [0, 1, 2], [1, 0, 1]), ("b", [0, 1, 2], [0.9, 0.8, 0.9])]
        // Frame: plot from x 72 to 616, y 40 to 304; two names: a box 36 high.
        #expect(try legendAt(away) == (466, 46))       // top right, as always
        #expect(try legendAt(rising) == (82, 46))      // top left
        #expect(try legendAt(vee) == (466, 266))       // both top corners crossed: bottom right
        // Every corner crossed (an X and a line along the bottom): the chart is widened by the
        // legend's 150 px + 24 and the legend sits right of the plot (which still ends at 616),
        // covering no line; a free corner keeps the standard 640 px.
        let cross: [(name: String, x: [Double], y: [Double])] = [("a", [0, 1], [0, 1]), ("b", [0, 1], [1, 0]), ("c", [0, 1], [0, 0])]
        #expect(try legendAt(cross) == (632, 46))
        let wide = try #require(ElementCollector.parse(SVGPlot.lines(id: "l", title: "t", series: cross, xLabel: "x", yLabel: "y")))
        #expect(wide.elements.first { $0.name == "svg" }?.attributes["width"] == "814")
        let xs = wide.elements.filter { $0.name == "circle" }.compactMap { Double($0.attributes["cx"] ?? "") }
        #expect(xs.count == 6 && xs.max() == 616)
        let narrow = try #require(ElementCollector.parse(SVGPlot.lines(id: "l", title: "t", series: vee, xLabel: "x", yLabel: "y")))
        #expect(narrow.elements.first { $0.name == "svg" }?.attributes["width"] == "640")
        // One series has no legend, so nothing to widen for, whatever its line crosses.
        let one = try #require(ElementCollector.parse(SVGPlot.lines(id: "l", title: "t", series: [cross[0]], xLabel: "x", yLabel: "y")))
        #expect(one.elements.first { $0.name == "svg" }?.attributes["width"] == "640")
    }

    /// Plots of counts (runs, neurons) put their y ticks at whole numbers only: two runs at
    /// most give ticks 0, 1, 2, not 0.5 and 1.5.
    @Test func countAxesHaveWholeTicks() {
        func yLabels(_ svg: String) -> [String] {
            svg.matches(of: /text-anchor="end" stroke="none" fill="#333">([^<]*)<\/text>/).map { String($0.1) }
        }
        #expect(yLabels(SVGPlot.bars(id: "b", title: "t", labels: ["A2", "E1"], counts: [2, 1], xLabel: "component", yLabel: "runs")) == ["0", "1", "2"])
        #expect(yLabels(SVGPlot.bars(id: "b", title: "t", labels: ["x"], counts: [12], xLabel: "x")) == ["0", "5", "10"])
        #expect(yLabels(SVGPlot.histogram(id: "h", title: "t", edges: [0, 0.5, 1], series: [("n", [3, 1])])) == ["0", "1", "2", "3"])
    }

    @Test func histogramIsWellFormedAndItsBarsAreItsCounts() throws {
        let edges = (0...10).map { Double($0) / 10 }
        let a = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], b = [9, 0, 0, 0, 0, 0, 0, 0, 0, 30]
        let svg = SVGPlot.histogram(id: "h", title: "init & final <test>", edges: edges, series: [("initial", a), ("final", b)])
        let doc = try #require(ElementCollector.parse(svg))
        let rects = doc.elements.filter { $0.name == "rect" && $0.attributes["data-count"] != nil }
        #expect(rects.map { Int($0.attributes["data-count"]!)! } == a + b)
        // Taller bars for larger counts, zero height for zero.
        let heights = rects.map { Double($0.attributes["height"]!)! }
        #expect(heights[19] > heights[10])
        #expect(heights[0] == 0)
        #expect(svg.contains("init &amp; final &lt;test&gt;"))
    }

    @Test func barsMarkUnusedCategories() throws {
        let svg = SVGPlot.bars(id: "b", title: "irreps", labels: ["[4]", "[3,1]", "[2,2]"], counts: [0, 5, 0], marked: [0, 2], xLabel: "irrep")
        let doc = try #require(ElementCollector.parse(svg))
        let marked = doc.elements.filter { $0.attributes["data-marked"] == "true" }
        #expect(marked.count == 2)
    }

    /// A G × G map whose largest block is 0.3 of the variance: that block is drawn in the
    /// darkest colour, the scale above the map says 0.3, and rows carry the component labels.
    @Test func heatmapScalesToItsLargestValueAndNamesItsRows() throws {
        let labels = ["[4]", "[3,1]", "[2,2]"]
        let rows = [[0, 0.3, 0], [0.15, 0, 0], [0, 0, 0.001]]
        let svg = SVGPlot.heatmap(id: "m", title: "neuron", rows: rows, columnLabels: labels, rowLabels: labels, xLabel: "b", yLabel: "a")
        let doc = try #require(ElementCollector.parse(svg))
        let cells = doc.elements.filter { $0.name == "rect" && $0.attributes["height"] != "8" && $0.attributes["fill"]?.hasPrefix("#") == true
            && $0.attributes["width"] != "640" && $0.attributes["stroke"] == nil }
        // 0.3 → the full colour (grey 255 − 225 = 30, blue 30 + 60: #1e1e5a), 0.15 → half of it (grey
        // 255 − 112 = 142, blue 142 + 30: #8e8eac); 0.001 < 0.5 % of 0.3 is left white.
        #expect(cells.map { $0.attributes["fill"]! } == ["#1e1e5a", "#8e8eac"])
        #expect(svg.contains(">0.3</text>"))
        for l in labels { #expect(svg.components(separatedBy: ">\(l)</text>").count == 3, "\(l) on both axes") }
    }

    /// Axis labels never overlap: 35 frequencies of C_71 are all labelled; with S_5's irreps
    /// beside them (a sweep over both) every label is drawn at least its width apart.
    @Test func barLabelsDoNotRunIntoEachOther() throws {
        let frequencies = (1...35).map(String.init)
        let f = SVGPlot.Frame()
        #expect(SVGPlot.labelStride(frequencies, plotWidth: f.plotWidth) == 1)
        let mixed = frequencies + ["[4,1]", "[3,2]", "[3,1,1]", "[2,2,1]", "[2,1,1,1]", "[1,1,1,1,1]"]
        let svg = SVGPlot.bars(id: "h", title: "key", labels: mixed, counts: mixed.map { _ in 1 }, xLabel: "component", yLabel: "runs")
        let doc = try #require(ElementCollector.parse(svg))
        let drawn = mixed.filter { label in svg.contains(">\(label)</text>") }
        let stride = SVGPlot.labelStride(mixed, plotWidth: f.plotWidth)
        #expect(stride > 1 && drawn.count == (mixed.count + stride - 1) / stride)
        // Centres of neighbouring labels are at least the widest label's estimated width apart.
        #expect(Double(stride) * f.plotWidth / Double(mixed.count) >= 11 * 6.7 + 2)
        #expect(doc.elements.filter { $0.name == "rect" && $0.attributes["data-count"] != nil }.count == mixed.count)
    }

    /// A logarithmic y axis: values a decade apart are drawn equally far apart, ticks sit at
    /// powers of ten, values that are not positive are left out; without it the plot is linear.
    @Test func linesOnALogarithmicAxis() throws {
        let svg = SVGPlot.lines(id: "l", title: "loss", series: [("loss", [0, 1, 2, 3], [10, 0.1, 0.001, 0])],
                                xLabel: "step", yLabel: "cross-entropy", logY: true)
        let doc = try #require(ElementCollector.parse(svg))
        let points = try #require(doc.elements.first { $0.name == "polyline" }?.attributes["points"])
        let ys = points.split(separator: " ").map { Double($0.split(separator: ",")[1])! }
        #expect(ys.count == 3)                                           // the 0 is not drawn
        #expect(abs((ys[1] - ys[0]) - (ys[2] - ys[1])) < 0.02)           // two decades each
        for label in [">1e-3<", ">0.01<", ">0.1<", ">1<", ">10<"] { #expect(svg.contains(label), "\(label)") }
        #expect(svg.contains("(log scale)"))
        #expect(SVGPlot.decades(-6.3, 1.7) == [-6, -4, -2, 0])
        #expect(SVGPlot.decades(-1.2, 1.1) == [-1, 0, 1])
        #expect(SVGPlot.decadeLabel(-6) == "1e-6" && SVGPlot.decadeLabel(-2) == "0.01" && SVGPlot.decadeLabel(3) == "1000")
        #expect(SVGPlot.spansDecades([21.4, 0.168, 1.2e-6]) && !SVGPlot.spansDecades([2, 1, 0]) && !SVGPlot.spansDecades([0.5, 2]))
        // The same series on a linear axis: equal steps in value, not in decades.
        let linear = SVGPlot.lines(id: "l", title: "loss", series: [("loss", [0, 1, 2], [10, 0.1, 0.001])], xLabel: "step", yLabel: "y")
        #expect(!linear.contains("(log scale)"))
    }

    @Test func otherPlotsAreWellFormed() {
        let heat = SVGPlot.heatmap(id: "m", title: "spectra", rows: [[0.1, 0.9], [1, 0]], columnLabels: ["1", "2"], xLabel: "frequency")
        let sc = SVGPlot.scatter(id: "s", title: "phases", points: [(0.5, 1), (.nan, 2)], xRange: -3...3, yRange: -3...3, xLabel: "x", yLabel: "y")
        let ln = SVGPlot.lines(id: "l", title: "margin", series: [("a", [0, 1, 2], [0.1, 0.5, 0.9])], xLabel: "step", yLabel: "margin", reference: (1, "γ*"))
        for s in [heat, sc, ln] { #expect(ElementCollector.parse(s) != nil) }
    }

    @Test func ticksAreNiceAndCoverTheRange() {
        // [0, 1] in 5 steps: raw step 0.2 is already nice, so 0, 0.2, …, 1 (the ticks are
        // accumulated, hence compared within rounding, not bit for bit).
        let unit = SVGPlot.ticks(0, 1)
        let expected = (0...5).map { Double($0) * 0.2 }
        #expect(unit.count == expected.count)
        for (t, e) in zip(unit, expected) { #expect(abs(t - e) < 1e-12, "\(unit)") }
        #expect(unit.first == 0)
        // [0, 37]: raw step 7.4, the next nice step of 1, 2, 2.5, 5, 10 × 10^0 is 10.
        #expect(SVGPlot.ticks(0, 37) == [0, 10, 20, 30])
        // [−3, 3]: raw step 1.2 → 2; the ticks start at the first multiple of 2 ≥ −3.
        #expect(SVGPlot.ticks(-3, 3) == [-2, 0, 2])
    }
}

@Suite struct HTMLReportTests {
    @Test func reportIsSelfContainedAndWritesEveryFigure() throws {
        let fig = Report.Figure(id: "hist", caption: "a histogram", svg: SVGPlot.histogram(id: "hist", title: "t", edges: [0, 0.5, 1], series: [("x", [1, 2])]))
        let r = Report(title: "C71 <report>", subtitle: "s", summary: [("accuracy", "100%")], notes: ["note"], figures: [fig])
        let html = r.html()
        #expect(!html.contains("<script"))
        // Self-contained: the only URL is the SVG namespace, once per inline <svg> (one figure).
        let namespace = "http://www.w3.org/2000/svg"
        #expect(html.components(separatedBy: "<svg ").count - 1 == 1)
        #expect(html.components(separatedBy: namespace).count - 1 == 1)
        let withoutNamespace = html.replacingOccurrences(of: namespace, with: "")
        #expect(!withoutNamespace.contains("http://") && !withoutNamespace.contains("https://"))
        #expect(html.contains("C71 &lt;report&gt;"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try r.write(to: dir)
        for f in ["report.html", "report.md", "hist.svg"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + f))
        }
        let svgFile = try String(contentsOfFile: dir + "/hist.svg", encoding: .utf8)
        #expect(ElementCollector.parse(svgFile) != nil)
    }
}

/// The table's loss figures: small losses keep their digits.
@Suite struct LossFormatTests {
    @Test func smallLossesAreNotPrintedAsZero() {
        #expect(TextFormat.loss(4.11864) == "4.1186")
        #expect(TextFormat.loss(0.0048329) == "0.0048")
        #expect(TextFormat.loss(2.7085770124915413e-05) == "2.709e-05")
        #expect(TextFormat.loss(2.792746300883664e-08) == "2.793e-08")
        #expect(TextFormat.loss(0) == "0.0000")
        #expect(TextFormat.loss(nil) == "-" && TextFormat.loss(.nan) == "-")
    }
}
