import Analysis
import Batch
import Foundation

extension SVGPlot {
    /// Bars of values per category, several series side by side, with an optional horizontal
    /// threshold line (e.g. τ over the logit similarities), named at its right end, or, when
    /// several series have a legend, in the legend's last row. Each bar carries its value in
    /// `data-value`, each series its name in `data-name`. With `logY` the axis is logarithmic
    /// (ticks at powers of ten, "(log scale)" added to its label), the bars rise from its
    /// bottom, and values that are not positive get no bar.
    public static func valueBars(id: String, title: String, labels: [String], series: [(name: String, values: [Double])],
                                 threshold: (value: Double, label: String)? = nil, xLabel: String, yLabel: String,
                                 logY: Bool = false) -> String {
        let f = Frame()
        func coordinate(_ v: Double) -> Double? { SVGPlot.coordinate(v, logY: logY) }
        let all = (series.flatMap(\.values) + (threshold.map { [$0.value] } ?? [])).compactMap(coordinate)
        var y0: Double, y1: Double
        if logY {
            y0 = all.min() ?? 0; y1 = all.max() ?? 1
            if y1 - y0 < 1e-12 { y0 -= 0.5; y1 += 0.5 }
            let pad = (y1 - y0) * 0.05
            y0 -= pad; y1 += pad
        } else {
            y0 = min(0, all.min() ?? 0)
            y1 = max(all.max() ?? 1, y0 + 1e-12)
        }
        // Room above the tallest bar for the legend (6 px + 18 px per row at the plot's top).
        // With a legend the threshold's name is its last row: written on the line, at the
        // right end, it would cover the bars there when the line runs low among them (a
        // trained network's loss at the floor of a logarithmic axis of losses).
        let thresholdInLegend = series.count > 1 && threshold != nil
        let legendRows = series.count + (thresholdInLegend ? 1 : 0)
        if series.count > 1 { y1 = y0 + (y1 - y0) / (1 - (12 + 18 * Double(legendRows)) / f.plotHeight) }
        let n = max(labels.count, 1)
        let every = labelStride(labels, plotWidth: f.plotWidth)
        let xTicks = labels.indices.filter { $0 % every == 0 }.map { ((Double($0) + 0.5) / Double(n), labels[$0]) }
        let yTicks = yTicks(y0, y1, logY: logY)
        func yOf(_ v: Double) -> Double { f.y((v - y0) / (y1 - y0)) }
        var s = open(f, title: title, id: id)
        s += axes(f, xLabel: xLabel, yLabel: logY ? yLabel + " (log scale)" : yLabel, xTicks: xTicks, yTicks: yTicks)
        let k = Double(max(series.count, 1))
        for (si, ser) in series.enumerated() {
            s += "<g class=\"series\" data-name=\"\(esc(ser.name))\" fill=\"\(palette[si % palette.count])\">\n"
            for (i, v) in ser.values.enumerated() where i < labels.count {
                let cell = 1 / Double(n)
                let xa = f.x(Double(i) * cell + cell * Double(si) / k), xb = f.x(Double(i) * cell + cell * Double(si + 1) / k)
                // A log axis: bars from its bottom; a linear one: from zero.
                let base = logY ? y0 : 0
                let value = coordinate(v) ?? base
                let top = min(yOf(value), yOf(base)), height = abs(yOf(value) - yOf(base))
                s += "<rect x=\"\(num(xa + 0.5))\" y=\"\(num(top))\" width=\"\(num(max(xb - xa - 1, 0.5)))\" height=\"\(num(height))\" data-value=\"\(v)\"><title>\(esc(ser.name)) \(esc(labels[i])): \(tickLabel(v))</title></rect>\n"
            }
            s += "</g>\n"
        }
        if let t = threshold, let tv = coordinate(t.value) {
            let y = yOf(tv)
            s += "<line class=\"threshold\" data-value=\"\(t.value)\" x1=\"\(num(f.left))\" y1=\"\(num(y))\" x2=\"\(num(f.x(1)))\" y2=\"\(num(y))\" \(referenceStroke)/>"
            // Named on the line unless the legend names it; a white halo keeps the name
            // legible where it crosses bars.
            s += thresholdInLegend ? "\n"
                : "<text x=\"\(num(f.x(1) - 4))\" y=\"\(num(y - 5))\" text-anchor=\"end\" fill=\"#c0392b\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">\(esc(t.label))</text>\n"
        }
        if series.count > 1 { s += legend(f, series.map(\.name), dashedLine: thresholdInLegend ? threshold?.label : nil) }
        return s + "</svg>\n"
    }
}

/// The attribution's part of the reports (docs/attribution.md): figures of one analysis, the
/// progress measures of a run, and the sweep report of several runs.
public enum AttributionReport {
    static func fmt(_ v: Double?, _ digits: Int = 4) -> String { v.map { String(format: "%.\(digits)g", $0) } ?? "—" }

    /// Summary rows of one analysis.
    static func rows(_ r: GroupAnalysisRecord) -> [(String, String)] {
        guard let a = r.summary.attribution else { return [] }
        let key = a.keyComponents.map(\.description)
        var rows = [
            ("key components (logit similarity > \(a.threshold))", key.isEmpty ? "none" : key.joined(separator: ", ")),
            ("loss / restricted / excluded", "\(fmt(a.loss)) / \(fmt(a.restrictedLoss)) / \(fmt(a.excludedLoss))"),
        ]
        if let p = a.onPairs {
            rows.append(("on the \(p.count) given pairs: loss / restricted / excluded", "\(fmt(p.loss)) / \(fmt(p.restrictedLoss)) / \(fmt(p.excludedLoss))"))
            if let c = p.otherCount, c > 0 { rows.append(("on the \(c) other pairs: loss", fmt(p.otherLoss))) }
        }
        return rows
    }

    /// Notes of one analysis: where the components used by function and by dominance differ.
    static func notes(_ r: GroupAnalysisRecord) -> [String] {
        guard let d = AttributionRendering.differences(r) else { return [] }
        var out: [String] = []
        if !d.onlyByFunction.isEmpty {
            out.append("Key (used by the function) but no neuron's dominant \(r.componentKind): \(d.onlyByFunction.map(\.description).joined(separator: ", ")).")
        }
        if !d.onlyByDominance.isEmpty {
            out.append("Some neuron's dominant \(r.componentKind) but not key: \(d.onlyByDominance.map(\.description).joined(separator: ", ")).")
        }
        if let note = r.summary.attribution?.note { out.append("Attribution: \(note).") }
        return out
    }

    /// The figures of one analysis: logit similarity per component with τ, restricted vs
    /// excluded loss per component, neurons per key component, and the G × G power of the
    /// neurons of largest variance.
    static func figures(_ r: GroupAnalysisRecord) -> [Report.Figure] {
        guard let a = r.summary.attribution else { return [] }
        let kind = r.componentKind
        let comps = Array(a.components.dropFirst())   // the trivial component never scores
        let labels = comps.map(\.label.description)
        var figures: [Report.Figure] = []
        figures.append(.init(id: "attribution-similarity",
                             caption: "Logit similarity s_ρ of each non-trivial \(kind) (the cosine between the centered logits and the character cube, docs/attribution.md §3); dashed: the key threshold τ = \(a.threshold).",
                             svg: SVGPlot.valueBars(id: "attribution-similarity", title: "logit similarity per \(kind)", labels: labels,
                                                    series: [("logit similarity", comps.map { $0.logitSimilarity ?? .nan })],
                                                    threshold: (a.threshold, "τ"), xLabel: kind, yLabel: "s_ρ")))
        let restricted = comps.map { $0.restrictedLoss ?? .nan }, excluded = comps.map { $0.excludedLoss ?? .nan }
        // A trained network's excluded losses sit near its own (10⁻⁶–10⁻³) under restricted
        // ones near log |G|: then a logarithmic axis, or the excluded bars would not show.
        let logLosses = SVGPlot.spansDecades(restricted + excluded + [a.loss ?? .nan])
        figures.append(.init(id: "attribution-losses",
                             caption: "Per \(kind): loss of the logits restricted to its cube, and of the centered logits with it removed (docs/attribution.md §5); the network's loss is \(fmt(a.loss))."
                                 + (logLosses ? SVGPlot.logarithmicAxisNote : ""),
                             svg: SVGPlot.valueBars(id: "attribution-losses", title: "restricted vs excluded loss", labels: labels,
                                                    series: [("restricted", restricted), ("excluded", excluded)],
                                                    threshold: a.loss.map { ($0, "network's loss") }, xLabel: kind, yLabel: "cross-entropy",
                                                    logY: logLosses)))
        let key = comps.filter(\.key)
        if key.contains(where: { $0.neurons != nil }) {
            figures.append(.init(id: "attribution-neurons",
                                 caption: "Hidden neurons per key \(kind): neurons whose blocks (ρ, 1), (1, ρ), (ρ, ρ) of the power over G × G explain most of their variance (docs/attribution.md §6).",
                                 svg: SVGPlot.bars(id: "attribution-neurons", title: "neurons per key \(kind)", labels: key.map(\.label.description),
                                                   counts: key.map { $0.neurons ?? 0 }, xLabel: "key \(kind)")))
        }
        for t in a.topNeurons ?? [] {
            let all = a.components.map(\.label.description)
            let caption = r.isCyclic
                ? "Neuron \(t.index): power of its centered activations over C_n × C_n in the 2-D DFT blocks (k, l), k the frequency in a (rows), l in b (columns), as shares of its variance (the colour scale runs to the largest block, given above the map)."
                : "Neuron \(t.index): power of its centered activations over G × G in the blocks ρ ⊗ σ, ρ for a (rows), σ for b (columns), as shares of its variance (the colour scale runs to the largest block, given above the map)."
            figures.append(.init(id: "attribution-neuron-\(t.index)", caption: caption,
                                 svg: SVGPlot.heatmap(id: "attribution-neuron-\(t.index)", title: "neuron \(t.index) over G × G", rows: t.blocks,
                                                      columnLabels: all, rowLabels: all, xLabel: r.isCyclic ? "frequency in b" : "component for b",
                                                      yLabel: r.isCyclic ? "frequency in a" : "component for a")))
        }
        return figures
    }

    // MARK: runs and sweeps

    /// Figures of the progress measures of one run (records ordered by step).
    static func trajectoryFigures(_ good: [BatchRecord], steps: [Double]) -> [Report.Figure] {
        guard good.contains(where: { $0.loss != nil }) else { return [] }
        /// One line per loss of the records against the step.
        func lines(_ keys: [(String, KeyPath<BatchRecord, Double?>)]) -> [(name: String, x: [Double], y: [Double])] {
            keys.map { name, key in (name, steps, good.map { $0[keyPath: key] ?? .nan }) }
        }
        let losses = lines([("loss", \.loss), ("restricted", \.restrictedLoss), ("excluded", \.excludedLoss)])
        // A trained network's losses fall by orders of magnitude: then a logarithmic axis.
        let logY = SVGPlot.spansDecades(losses.flatMap(\.y))
        let hasPairs = good.contains { $0.excludedLossOnPairs != nil }
        var figures: [Report.Figure] = [
            .init(id: "trajectory-attribution",
                  caption: "The network's loss, the restricted loss (key components only) and the excluded loss (key components removed) over all pairs against the step (docs/attribution.md §5). In a grokking run the restricted loss falls before the network's."
                      + (hasPairs ? " The next plot has the same losses on the given pairs." : " The progress-measures paper reads the excluded loss on the training pairs, where it rises as the network generalizes: give them with --pairs.")
                      + (logY ? SVGPlot.logarithmicAxisNote : ""),
                  svg: SVGPlot.lines(id: "trajectory-attribution", title: "restricted and excluded loss",
                                     series: losses, xLabel: "step", yLabel: "cross-entropy", logY: logY)),
        ]
        if hasPairs {
            let hasOther = good.contains { $0.lossOnOtherPairs != nil }
            let onPairs = lines([("loss", \.lossOnPairs), ("restricted", \.restrictedLossOnPairs), ("excluded", \.excludedLossOnPairs)]
                                + (hasOther ? [("loss, other pairs", \.lossOnOtherPairs)] : []))
            let logPairs = SVGPlot.spansDecades(onPairs.flatMap(\.y))
            figures.append(.init(id: "trajectory-attribution-pairs",
                                 caption: "The same three losses on the given pairs (--pairs, e.g. the training pairs) against the step: while the network's loss on them stays low, the excluded loss rising shows the function moving onto the key components (the progress-measures paper's excluded loss)."
                                     + (hasOther ? " \"loss, other pairs\": the network's loss on the pairs the file leaves out (the test loss, when it lists the training pairs)." : "")
                                     + (logPairs ? SVGPlot.logarithmicAxisNote : ""),
                                 svg: SVGPlot.lines(id: "trajectory-attribution-pairs",
                                                    title: hasOther ? "losses on the given and the other pairs" : "losses on the given pairs",
                                                    series: onPairs, xLabel: "step", yLabel: "cross-entropy", logY: logPairs)))
        }
        return figures + [
            .init(id: "trajectory-key",
                  caption: "Number of key components (logit similarity above the threshold) against the step.",
                  svg: SVGPlot.lines(id: "trajectory-key", title: "key components",
                                     series: [("key components", steps, good.map { $0.keyComponents.map { Double($0.count) } ?? .nan })],
                                     xLabel: "step", yLabel: "components")),
        ]
    }

    /// The runs of a set of records, in the order of their ids (numbers in them compared as
    /// numbers, as the batch orders its inputs: run-2 before run-10), each ordered by step.
    static func runs(_ records: [BatchRecord]) -> [(run: String, records: [BatchRecord])] {
        var byRun: [String: [BatchRecord]] = [:]
        for r in records { byRun[r.run ?? r.path, default: []].append(r) }
        let order = byRun.keys.sorted(by: naturallyOrdered)
        return order.map { id in
            (id, byRun[id]!.enumerated().sorted { ($0.element.step ?? Double($0.offset), $0.offset) < ($1.element.step ?? Double($1.offset), $1.offset) }.map(\.element))
        }
    }

    /// A run's neurons per component by dominance, "E3 12, E6 9" (components in the group's
    /// order when known, else natural order), or the count of components used when the record
    /// predates the field.
    static func neuronsPerComponent(_ r: BatchRecord, groupOrder: [String]?) -> String {
        guard let per = r.neuronsPerComponent else { return "components used by neurons: \(r.componentsUsed.map(String.init) ?? "—")" }
        if per.isEmpty { return "neurons per component: none" }
        let labels = orderOfComponents(per.keys.map { [Int($0).map(ComponentLabel.frequency) ?? .irrep($0)] }, groupOrder: groupOrder)
        return "neurons per component: " + labels.map { "\($0.description) \(per[$0.description]!)" }.joined(separator: ", ")
    }

    /// The components of several key lists in one order: frequencies by number; irreps in the
    /// group's order when `groupOrder` is given (labels it lacks last), otherwise in the order
    /// the lists share (each list is in its group's component order: a label that precedes
    /// another in some list precedes it here), labels no list orders against each other by
    /// their names, numbers compared as numbers (E3 before E11).
    static func orderOfComponents(_ lists: [[ComponentLabel]], groupOrder: [String]? = nil) -> [ComponentLabel] {
        var labels: [ComponentLabel] = []
        var seen = Set<String>()
        for l in lists { for c in l where seen.insert(c.description).inserted { labels.append(c) } }
        func byName(_ a: ComponentLabel, _ b: ComponentLabel) -> Bool {
            switch (a, b) {
            case (.frequency(let x), .frequency(let y)): return x < y
            default: return naturallyOrdered(a.description, b.description)
            }
        }
        if labels.allSatisfy({ if case .frequency = $0 { return true } else { return false } }) { return labels.sorted(by: byName) }
        if let groupOrder {
            let rank = Dictionary(groupOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            return labels.sorted { a, b in
                switch (rank[a.description], rank[b.description]) {
                case let (x?, y?): return x < y
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil): return byName(a, b)
                }
            }
        }
        // Kahn's algorithm over "precedes in some list", the smallest name first among the free.
        var after: [String: Set<String>] = [:], before: [String: Int] = [:]
        for l in lists {
            for (a, b) in zip(l, l.dropFirst()) where after[a.description, default: []].insert(b.description).inserted {
                before[b.description, default: 0] += 1
            }
        }
        let byLabel = Dictionary(labels.map { ($0.description, $0) }, uniquingKeysWith: { a, _ in a })
        var free = labels.filter { before[$0.description, default: 0] == 0 }
        var out: [ComponentLabel] = []
        while !free.isEmpty {
            free.sort(by: byName)
            let c = free.removeFirst()
            out.append(c)
            for d in after[c.description] ?? [] {
                before[d]! -= 1
                if before[d] == 0, let l = byLabel[d] { free.append(l) }
            }
        }
        // Lists that disagree (records of different groups) leave a cycle: its labels by name.
        if out.count < labels.count {
            let placed = Set(out.map(\.description))
            out += labels.filter { !placed.contains($0.description) }.sorted(by: byName)
        }
        return out
    }

    /// The report of a sweep (records from several runs): a per-run table, how often each
    /// component is key across runs (at each run's last checkpoint), and per-run trajectories
    /// when runs have several checkpoints — one line per run, never one line through runs.
    /// `componentOrder`, the group's component labels in order (`GroupAnalysisRecord.components`),
    /// orders the histogram's bars; without it the order is the one the records' key lists share
    /// (`orderOfComponents`).
    public static func sweep(_ records: [BatchRecord], title: String, componentOrder: [String]? = nil) -> Report {
        let runs = runs(records)
        var rows: [(String, String)] = [("runs", String(runs.count)), ("checkpoints", "\(records.count) (\(records.filter { !$0.ok }.count) failed)")]
        var notes: [String] = []
        var lastOf: [(run: String, record: BatchRecord)] = []
        for (run, recs) in runs {
            guard let last = recs.last(where: \.ok) else { rows.append((run, "no checkpoint analyzed")); continue }
            lastOf.append((run, last))
            let key = last.keyComponents.map { $0.map(\.description).joined(separator: ", ") } ?? "—"
            rows.append((run, "last step \(fmt(last.step, 8)); accuracy \(AnalysisReport.pct(last.accuracy)); key components: \(key.isEmpty ? "none" : key); \(neuronsPerComponent(last, groupOrder: componentOrder))"))
        }
        for r in records where !r.ok { notes.append(AnalysisReport.failureNote(r)) }
        var figures: [Report.Figure] = []
        // How often each component is key across runs.
        var counts: [String: Int] = [:]
        for (_, r) in lastOf { for c in r.keyComponents ?? [] { counts[c.description, default: 0] += 1 } }
        let labelOrder = orderOfComponents(lastOf.map { $0.record.keyComponents ?? [] }, groupOrder: componentOrder)
        if labelOrder.isEmpty {
            notes.append("No histogram of key components: no run's last checkpoint has a key component (or the records hold no attribution).")
        } else {
            figures.append(.init(id: "sweep-key-histogram",
                                 caption: "How many runs have each component key at their last checkpoint (the universality study's histogram of learned representations).",
                                 svg: SVGPlot.bars(id: "sweep-key-histogram", title: "key components across \(lastOf.count) runs",
                                                   labels: labelOrder.map(\.description), counts: labelOrder.map { counts[$0.description]! },
                                                   xLabel: "component", yLabel: "runs")))
        }
        // Per-run trajectories.
        let multi = runs.filter { $0.records.filter(\.ok).count > 1 }
        if multi.isEmpty {
            notes.append("No trajectories: every run has a single analyzed checkpoint.")
        } else {
            func series(_ key: (BatchRecord) -> Double?) -> [(name: String, x: [Double], y: [Double])] {
                multi.map { run in
                    let good = run.records.filter(\.ok)
                    return (run.run, good.enumerated().map { $0.element.step ?? Double($0.offset) }, good.map { key($0) ?? .nan })
                }
            }
            if multi.contains(where: { $0.records.contains { $0.marginRatio != nil } }) {
                figures.append(.init(id: "sweep-ratio", caption: "Normalized margin / γ* against the step, one line per run.",
                                     svg: SVGPlot.lines(id: "sweep-ratio", title: "margin / γ* per run", series: series(\.marginRatio),
                                                        xLabel: "step", yLabel: "ratio", reference: (1, "γ*"))))
            } else {
                notes.append("No margin / γ* plot: no run has a γ* (the theorems' hypotheses do not hold for these networks).")
            }
            if multi.contains(where: { $0.records.contains { $0.restrictedLoss != nil } }) {
                var plots = [("sweep-restricted", "Restricted loss", "restricted loss per run", \BatchRecord.restrictedLoss),
                             ("sweep-excluded", "Excluded loss", "excluded loss per run", \BatchRecord.excludedLoss)]
                // The restricted loss is the same on every pair (docs/attribution.md §5); the
                // excluded loss on the given pairs is the progress-measures paper's.
                if multi.contains(where: { $0.records.contains { $0.excludedLossOnPairs != nil } }) {
                    plots.append(("sweep-excluded-pairs", "Excluded loss on the given pairs (--pairs)", "excluded loss on the pairs per run", \BatchRecord.excludedLossOnPairs))
                }
                for (id, name, title, key) in plots {
                    let lines = series { $0[keyPath: key] }
                    let logY = SVGPlot.spansDecades(lines.flatMap(\.y))
                    figures.append(.init(id: id, caption: "\(name) against the step, one line per run." + (logY ? SVGPlot.logarithmicAxisNote : ""),
                                         svg: SVGPlot.lines(id: id, title: title, series: lines,
                                                            xLabel: "step", yLabel: "cross-entropy", logY: logY)))
                }
            }
            figures.append(.init(id: "sweep-accuracy", caption: "Accuracy against the step, one line per run.",
                                 svg: SVGPlot.lines(id: "sweep-accuracy", title: "accuracy per run", series: series(\.accuracy),
                                                    xLabel: "step", yLabel: "accuracy")))
        }
        return Report(title: title, subtitle: "sweep of \(runs.count) runs", summary: rows, notes: notes, figures: figures)
    }
}
