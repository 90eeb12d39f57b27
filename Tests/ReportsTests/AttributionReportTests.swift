import Analysis
import Batch
import Foundation
import JSONOutput
import Testing
@testable import Reports

/// The attribution's figures (docs/attribution.md) parse as XML and show the numbers of the
/// record they are drawn from (report.json).
@Suite struct AttributionReportTests {
    static func record(_ file: String, group: String, activation: Activation = .quadratic) throws -> (AnalysisRecord, GroupAnalysisRecord) {
        var request = AnalysisRequest(task: .group(group))
        request.activation = activation
        let result = try Analyzer.analyze(path: RecordFiles.data(file), request)
        // Through report.json's bytes, as `irrepscope report` reads them.
        let data = AnalysisRendering.jsonData(AnalysisRecord(result, file: file))
        let record = try JSONDecoder().decode(AnalysisRecord.self, from: data)
        guard case .group(let g) = record else { throw AnalysisError("not a group record") }
        return (record, g)
    }

    /// The neurons' JSON rendered while the forward pass runs, the attribution's `hidden` object
    /// of each neuron added at write time (`RenderedNeurons`): the same bytes as rendering the
    /// whole record at the end, with and without the attribution, cyclic and not.
    @Test(arguments: [("c71-quadratic-final.pt", "C71", true), ("s4-quadratic-final.pt", "S4", true), ("s4-quadratic-final.pt", "S4", false)])
    func earlyRenderedNeuronsGiveTheSameBytes(file: String, group: String, attribution: Bool) throws {
        final class Box: @unchecked Sendable { var rendered: RenderedNeurons? }
        let box = Box()
        var request = AnalysisRequest(task: .group(group))
        if !attribution { request.attribution = nil }
        request.whileMarginsCompute = { draft in box.rendered = AnalysisRendering.renderNeurons(draft) }
        let result = try Analyzer.analyze(path: RecordFiles.data(file), request)
        let early = try #require(box.rendered)
        func json(_ record: AnalysisRecord, _ rendered: RenderedNeurons?) -> [UInt8] {
            let sink = ByteSink(collecting: ())
            AnalysisRendering.writeJSON(record, JSONWriter(sink: sink), renderedNeurons: rendered)
            return sink.buffer
        }
        let spliced = json(AnalysisRecord(result, file: file, neurons: false), early)
        let whole = json(AnalysisRecord(result, file: file), nil)
        #expect(spliced == whole)
        let text = String(decoding: whole, as: UTF8.self)
        #expect(text.contains("\"hidden\":{") == attribution)
    }

    static func figure(_ report: Report, _ id: String) throws -> ElementCollector {
        let f = try #require(report.figures.first { $0.id == id }, "no figure \(id)")
        return try #require(ElementCollector.parse(f.svg), "\(id) is not well-formed")
    }

    @Test(arguments: [("s4-quadratic-final.pt", "S4", Activation.quadratic), ("c71-relu-final.pt", "C71", .relu)])
    func figuresShowTheRecordsNumbers(file: String, group: String, activation: Activation) throws {
        let (record, r) = try Self.record(file, group: group, activation: activation)
        let a = try #require(r.summary.attribution)
        let report = AnalysisReport.single(record)
        let comps = Array(a.components.dropFirst())
        // Logit similarity bars and the threshold line.
        let sim = try Self.figure(report, "attribution-similarity")
        let bars = sim.elements.filter { $0.name == "rect" && $0.attributes["data-value"] != nil }
        #expect(bars.map { Double($0.attributes["data-value"]!)! } == comps.map { $0.logitSimilarity! })
        let line = try #require(sim.elements.first { $0.attributes["class"] == "threshold" })
        #expect(Double(line.attributes["data-value"]!) == a.threshold)
        // Restricted vs excluded: two series, in that order.
        let losses = try Self.figure(report, "attribution-losses")
        let groups = losses.elements.filter { $0.name == "g" && $0.attributes["data-name"] != nil }.map { $0.attributes["data-name"]! }
        #expect(groups == ["restricted", "excluded"])
        let values = losses.elements.filter { $0.name == "rect" && $0.attributes["data-value"] != nil }.map { Double($0.attributes["data-value"]!)! }
        #expect(values == comps.map { $0.restrictedLoss! } + comps.map { $0.excludedLoss! })
        // The network's loss: a dashed line named in the legend's last row, not on the line
        // (where it covered the bars at the right end), and the legend clears the tallest bar.
        let lossLine = try #require(losses.elements.first { $0.attributes["class"] == "threshold" })
        #expect(Double(lossLine.attributes["data-value"]!) == a.loss)
        #expect(losses.elements.contains { $0.attributes["class"] == "legend-threshold" })
        let lossesSVG = try #require(report.figures.first { $0.id == "attribution-losses" }).svg
        #expect(lossesSVG.components(separatedBy: ">network's loss<").count == 2)
        let legendBottom = losses.elements.filter { $0.attributes["class"] == "legend-threshold" }.map { Double($0.attributes["y1"]!)! }.max()!
        let barTops = losses.elements.filter { $0.name == "rect" && $0.attributes["data-value"] != nil }.map { Double($0.attributes["y"]!)! }
        #expect(barTops.allSatisfy { $0 > legendBottom })
        // One series: τ stays written on its line.
        #expect(try #require(report.figures.first { $0.id == "attribution-similarity" }).svg.contains(">τ<"))
        #expect(!sim.elements.contains { $0.attributes["class"] == "legend-threshold" })
        // Neurons per key component.
        let neurons = try Self.figure(report, "attribution-neurons")
        let counts = neurons.elements.filter { $0.name == "rect" && $0.attributes["data-count"] != nil }.map { Int($0.attributes["data-count"]!)! }
        #expect(counts == comps.filter(\.key).map { $0.neurons! })
        // The top neurons' G × G heatmaps: one per neuron in the record, shares summing to 1.
        let top = try #require(a.topNeurons)
        #expect(top.count == AttributionRecord.topNeuronCount)
        for t in top {
            _ = try Self.figure(report, "attribution-neuron-\(t.index)")
            #expect(abs(t.blocks.joined().reduce(0, +) - 1) < 1e-9)
        }
        #expect(report.summary.contains { $0.0.hasPrefix("key components") })
    }

    /// A sweep: records of two runs (directories) give a per-run table, the histogram of key
    /// components across runs, and one line per run in the trajectories; without γ* the
    /// margin plot is left out with a sentence saying why.
    @Test func sweepReport() throws {
        func rec(_ run: String, _ step: Double, key: [Int], restricted: Double) -> BatchRecord {
            var r = BatchRecord(source: "\(run)/ck\(Int(step)).pt", run: run, step: step)
            r.ok = true; r.group = "C7"; r.accuracy = 1; r.componentsUsed = 3
            r.keyComponents = key.map { .frequency($0) }; r.loss = 0.5; r.restrictedLoss = restricted; r.excludedLoss = 2
            return r
        }
        let records = [rec("runA", 10, key: [1], restricted: 1), rec("runA", 0, key: [], restricted: 2), rec("runB", 5, key: [1, 3], restricted: 0.7),
                       rec("runB", 20, key: [1, 2, 3], restricted: 0.4)]
        let report = AnalysisReport.trajectory(records, title: "sweep")
        #expect(report.subtitle == "sweep of 2 runs")
        #expect(report.summary.contains { $0.0 == "runA" && $0.1.contains("last step 10") && $0.1.contains("key components: 1;") })
        #expect(report.summary.contains { $0.0 == "runB" && $0.1.contains("key components: 1, 2, 3;") })
        let hist = try Self.figure(report, "sweep-key-histogram")
        let counts = hist.elements.filter { $0.name == "rect" && $0.attributes["data-count"] != nil }.map { Int($0.attributes["data-count"]!)! }
        #expect(counts == [2, 1, 1])
        let restricted = try Self.figure(report, "sweep-restricted")
        let lines = restricted.elements.filter { $0.name == "polyline" }
        #expect(lines.map { $0.attributes["data-name"]! } == ["runA", "runB"])
        // Within a run the points are ordered by step: runA's step 0 (loss 2) comes first.
        let firstPoints = lines[0].attributes["points"]!.split(separator: " ")
        #expect(firstPoints.count == 2)
        #expect(!report.figures.contains { $0.id == "sweep-ratio" })
        #expect(report.notes.contains { $0.contains("No margin / γ* plot") })
    }

    /// The trained D_59 MLP: its per-component excluded losses (8·10⁻⁶ to 6·10⁻³) sit five
    /// decades under the restricted ones (2.4 to 4.8), so the losses' bars use a logarithmic
    /// axis on which every bar shows, taller for the larger loss; the C_71 network's stay linear.
    @Test func perComponentLossesOnALogarithmicAxis() throws {
        let (record, r) = try Self.record("universality-d59-final.pt", group: "D59", activation: .relu)
        let a = try #require(r.summary.attribution)
        let report = AnalysisReport.single(record)
        let f = try #require(report.figures.first { $0.id == "attribution-losses" })
        #expect(f.svg.contains("(log scale)") && f.caption.contains("Logarithmic axis"))
        // Without --pairs no rows for pairs.
        #expect(!report.summary.contains { $0.0.contains("given pairs") })
        let doc = try Self.figure(report, "attribution-losses")
        let excluded = doc.elements.filter { $0.name == "rect" && $0.attributes["data-value"] != nil }.suffix(a.components.count - 1)
        let heights = excluded.map { Double($0.attributes["height"]!)! }
        let values = excluded.map { Double($0.attributes["data-value"]!)! }
        #expect(heights.allSatisfy { $0 > 0 })
        // Taller for the larger loss: the heights are in the values' order.
        let byValue = values.indices.sorted { values[$0] < values[$1] }
        #expect(zip(byValue, byValue.dropFirst()).allSatisfy { heights[$0.0] <= heights[$0.1] })
        // E15's excluded loss, the largest, is at least 2/3 of the plot's height above E21's, the smallest.
        #expect(heights.max()! - heights.min()! > 0.66 * 264 * 0.5)
        // C_71 quadratic: losses 0.24 to 4.3, within two decades: linear.
        let (c71, _) = try Self.record("c71-quadratic-final.pt", group: "C71")
        #expect(try !#require(AnalysisReport.single(c71).figures.first { $0.id == "attribution-losses" }).svg.contains("(log scale)"))
    }

    /// A sweep of irrep-labelled runs: the runs in the order of their ids with numbers compared
    /// as numbers, each run's neurons per component, the histogram's bars in the
    /// order the runs' key lists share (E3 before E11, not the string order), a failed
    /// checkpoint's note naming its file once.
    @Test func sweepOfDihedralRuns() throws {
        func rec(_ run: String, _ step: Double, key: [String], neurons: [String: Int]?) -> BatchRecord {
            var r = BatchRecord(source: "\(run)/ck\(Int(step)).pt", run: run, step: step)
            r.ok = true; r.group = "D13"; r.accuracy = 1; r.componentsUsed = neurons?.count ?? 2
            r.keyComponents = key.map { .irrep($0) }; r.neuronsPerComponent = neurons
            r.loss = 0.5; r.restrictedLoss = 0.3; r.excludedLoss = 2
            return r
        }
        var bad = BatchRecord(source: "run-2/ck7.pt", run: "run-2", step: 7)
        bad.error = "run-2/ck7.pt: zip archive: no end-of-central-directory record (truncated file?)"
        let records = [rec("run-10", 5, key: ["E11"], neurons: [:]), bad, rec("run-2", 5, key: ["A2", "E1", "E3"], neurons: ["E11": 2, "E3": 9, "E1": 7]),
                       rec("run-1", 5, key: ["A2", "E3", "E6"], neurons: nil), rec("run-1", 9, key: ["A2", "E3", "E6"], neurons: nil)]
        let report = AnalysisReport.trajectory(records, title: "sweep")
        #expect(report.summary.dropFirst(2).map(\.0) == ["run-1", "run-2", "run-10"])
        #expect(report.summary.contains { $0.0 == "run-2" && $0.1.hasSuffix("key components: A2, E1, E3; neurons per component: E1 7, E3 9, E11 2") })
        #expect(report.summary.contains { $0.0 == "run-10" && $0.1.hasSuffix("neurons per component: none") })
        // A record from before the field: the count of components used.
        #expect(report.summary.contains { $0.0 == "run-1" && $0.1.hasSuffix("key components: A2, E3, E6; components used by neurons: 2") })
        #expect(report.notes.contains("failed: run-2/ck7.pt: zip archive: no end-of-central-directory record (truncated file?)"))
        let hist = try Self.figure(report, "sweep-key-histogram")
        let svg = try #require(report.figures.first { $0.id == "sweep-key-histogram" }).svg
        let ticks = svg.matches(of: /stroke="none" fill="#333">([AE][0-9]+)<\/text>/).map { String($0.1) }
        #expect(ticks == ["A2", "E1", "E3", "E6", "E11"])
        let counts = hist.elements.filter { $0.name == "rect" && $0.attributes["data-count"] != nil }.map { Int($0.attributes["data-count"]!)! }
        #expect(counts == [2, 1, 2, 1, 1])
    }

    /// The histogram's component order: the group's when known (S_n's partitions are not in
    /// string order), else the order the key lists share, frequencies by number.
    @Test func componentOrderAcrossRuns() {
        let s4 = ["[4]", "[3,1]", "[2,2]", "[2,1,1]", "[1,1,1,1]"]
        let lists: [[ComponentLabel]] = [[.irrep("[2,1,1]")], [.irrep("[3,1]"), .irrep("[2,1,1]")], [.irrep("[2,2]")]]
        #expect(AttributionReport.orderOfComponents(lists, groupOrder: s4).map(\.description) == ["[3,1]", "[2,2]", "[2,1,1]"])
        // Without the group: [3,1] precedes [2,1,1] in a list; [2,2] is ordered by name.
        #expect(AttributionReport.orderOfComponents(lists).map(\.description) == ["[2,2]", "[3,1]", "[2,1,1]"])
        #expect(AttributionReport.orderOfComponents([[.frequency(12), .frequency(40)], [.frequency(3)]]).map(\.description) == ["3", "12", "40"])
        #expect(AttributionReport.orderOfComponents([]).isEmpty)
        #expect(["run-10", "run-2", "run-1", "E11", "E3", "E03", "a", "run-002"].sorted(by: naturallyOrdered)
                == ["E03", "E3", "E11", "a", "run-1", "run-002", "run-2", "run-10"])
    }

    /// A single run keeps the trajectory report, with the attribution's progress measures.
    @Test func singleRunTrajectoryDrawsTheLosses() throws {
        var records: [BatchRecord] = []
        for (i, s) in [0.0, 100, 200].enumerated() {
            var r = BatchRecord(source: "run/ck\(i).pt", run: "run", step: s)
            r.ok = true; r.group = "C7"; r.loss = 2 - Double(i); r.restrictedLoss = 1.5 - Double(i) * 0.5; r.excludedLoss = 2 + Double(i)
            r.keyComponents = Array(0..<i).map { .frequency($0 + 1) }
            records.append(r)
        }
        let report = AnalysisReport.trajectory(records, title: "run")
        #expect(report.subtitle == "training trajectory")
        #expect(!report.figures.first { $0.id == "trajectory-attribution" }!.svg.contains("(log scale)"))   // a loss of 0: linear
        let fig = try Self.figure(report, "trajectory-attribution")
        #expect(fig.elements.filter { $0.name == "polyline" }.map { $0.attributes["data-name"]! } == ["loss", "restricted", "excluded"])
        _ = try Self.figure(report, "trajectory-key")
        // No checkpoint has a γ* (C_7 with no margin ratio recorded): no ratio plot, a sentence instead.
        #expect(!report.figures.contains { $0.id == "trajectory-ratio" })
        #expect(report.notes.contains { $0.contains("No margin / γ* plot") })
        // With one, the plot is drawn and the sentence is not there.
        records[2].marginRatio = 0.9
        let drawn = AnalysisReport.trajectory(records, title: "run")
        _ = try Self.figure(drawn, "trajectory-ratio")
        #expect(!drawn.notes.contains { $0.contains("No margin / γ* plot") })
    }

    /// Percentages never round a share below 1 up to 100.0% or one above 0 down to 0.0%: the
    /// D_59 run's epoch-30,000 accuracy 0.99971 is shown as 99.97%.
    @Test func percentagesDoNotRoundToTheEnds() {
        #expect(AnalysisReport.pct(0.9997127262280954) == "99.97%")
        #expect(AnalysisReport.pct(0.30005745475438095) == "30.0%")
        #expect(AnalysisReport.pct(1) == "100.0%" && AnalysisReport.pct(0) == "0.0%")
        #expect(AnalysisReport.pct(0.0001) == "0.01%" && AnalysisReport.pct(1 - 1.0 / 262_144) == "99.9996%")
        #expect(AnalysisReport.pct(nil) == "—")
        // The table output's accuracy (two decimals): one wrong pair of 512² is not 100.00%.
        #expect(TextFormat.percent(1 - 1.0 / 262_144, 2) == "99.9996" && TextFormat.percent(1, 2) == "100.00")
        #expect(TextFormat.percent(0.5, 2) == "50.00" && TextFormat.percent(.nan, 2) == "-")
    }

    /// Losses that fall by orders of magnitude (those of data/universality-d59-run: 21.4 and
    /// 0.00286, restricted 0.168 and 1.18e-6) are drawn on a logarithmic axis, and the caption
    /// says so: on a linear one the restricted loss would lie on the floor at both steps.
    /// The D_59 run's epochs 3000 and 30,000 (data/universality-d59-run): the losses over all
    /// pairs and, with `pairs`, on its training pairs.
    static func d59Run(pairs: Bool) -> [BatchRecord] {
        let all = [(21.43, 0.168, 25.96), (0.00286, 1.18e-6, 10.43)], onPairs = [(5.87e-6, 0.168, 0.00386), (2.23e-6, 1.18e-6, 7.74)]
        return (0..<2).map { i in
            var r = BatchRecord(source: "run/epoch_\(i).pt", run: "run", step: Double(3000 + 27000 * i))
            r.ok = true; r.group = "D59"
            (r.loss, r.restrictedLoss, r.excludedLoss) = all[i]
            if pairs {
                (r.lossOnPairs, r.restrictedLossOnPairs, r.excludedLossOnPairs) = onPairs[i]
                r.lossOnOtherPairs = [30.61, 0.0041][i]
            }
            return r
        }
    }

    /// The records with a copy of them as a second run: a sweep.
    static func withACopy(_ records: [BatchRecord]) -> [BatchRecord] {
        records + records.map { var r = $0; r.run = "other"; r.source = "other/" + $0.source; return r }
    }

    @Test func lossesSpanningDecadesAreDrawnOnALogarithmicAxis() throws {
        let records = Self.d59Run(pairs: false)
        let report = AnalysisReport.trajectory(records, title: "run")
        let figure = try #require(report.figures.first { $0.id == "trajectory-attribution" })
        #expect(figure.svg.contains("(log scale)") && figure.caption.contains("Logarithmic axis"))
        let doc = try Self.figure(report, "trajectory-attribution")
        let restricted = try #require(doc.elements.first { $0.attributes["data-name"] == "restricted" }?.attributes["points"])
        let ys = restricted.split(separator: " ").map { Double($0.split(separator: ",")[1])! }
        #expect(ys[1] - ys[0] > 150)   // five decades of the plot's height, not a flat line
        // A sweep of two such runs: its per-run loss plots too.
        let sweep = AnalysisReport.trajectory(Self.withACopy(records), title: "sweep")
        for id in ["sweep-restricted", "sweep-excluded"] {
            let f = try #require(sweep.figures.first { $0.id == id })
            #expect(f.svg.contains("(log scale)") == (id == "sweep-restricted"), "\(id)")   // excluded: 25.96 → 10.43, linear
        }
        #expect(!report.figures.contains { $0.id == "trajectory-attribution-pairs" })
        #expect(try #require(report.figures.first { $0.id == "trajectory-attribution" }).caption.contains("give them with --pairs"))
    }

    /// With --pairs the records carry the losses on the pairs: the trajectory draws them in a
    /// plot of their own (the D_59 run's values on its training pairs: the excluded loss rises
    /// from 0.0039 to 7.74 while the network's loss stays near 10⁻⁶), and a sweep draws the
    /// excluded loss on the pairs per run.
    @Test func lossesOnTheGivenPairs() throws {
        let records = Self.d59Run(pairs: true)
        let report = AnalysisReport.trajectory(records, title: "run")
        let f = try #require(report.figures.first { $0.id == "trajectory-attribution-pairs" })
        #expect(f.svg.contains("(log scale)") && f.caption.contains("excluded loss rising") && f.caption.contains("the test loss"))
        let doc = try Self.figure(report, "trajectory-attribution-pairs")
        let excluded = try #require(doc.elements.first { $0.attributes["data-name"] == "excluded" }?.attributes["points"])
        let ys = excluded.split(separator: " ").map { Double($0.split(separator: ",")[1])! }
        #expect(ys[0] - ys[1] > 100)   // rises by three decades: up the plot (smaller y)
        #expect(doc.elements.contains { $0.attributes["data-name"] == "loss, other pairs" })
        // The summary's last-checkpoint rows (epoch 30,000).
        #expect(report.summary.contains { $0 == ("last on the given pairs: loss / restricted / excluded", "2.23e-06 / 1.18e-06 / 7.74") })
        #expect(report.summary.contains { $0 == ("last loss on the other pairs", "0.0041") })
        #expect(report.summary.contains { $0 == ("last loss / restricted / excluded", "0.00286 / 1.18e-06 / 10.43") })
        let sweep = AnalysisReport.trajectory(Self.withACopy(records), title: "sweep")
        let pairs = try #require(sweep.figures.first { $0.id == "sweep-excluded-pairs" })
        #expect(pairs.svg.contains("(log scale)"))
        #expect(!AnalysisReport.trajectory(Self.withACopy(Self.d59Run(pairs: false)), title: "sweep").figures.contains { $0.id == "sweep-excluded-pairs" })
    }
}
