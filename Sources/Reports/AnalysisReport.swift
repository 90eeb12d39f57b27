import Foundation
import Analysis
import Batch

/// Builds reports from analysis records (report.json of `irrepscope analyze --out`) and from
/// the records of a batch (results.jsonl of `irrepscope batch`). Working from the saved
/// records means every plot shows exactly the numbers in the file next to it; records written
/// by earlier versions render too.
public enum AnalysisReport {
    static func fmt(_ v: Double?, _ digits: Int = 4) -> String { v.map { String(format: "%.\(digits)g", $0) } ?? "—" }
    /// A share as a percentage with one decimal, more where it would otherwise read 100.0% or
    /// 0.0% (`TextFormat.percent`); "—" when missing.
    static func pct(_ v: Double?) -> String { v.map { TextFormat.percent($0, 1) + "%" } ?? "—" }

    /// A report for one analysis. `initial`, when given, is the analysis of the same network
    /// at initialization, drawn next to the final histograms.
    public static func single(_ record: AnalysisRecord, initial: AnalysisRecord? = nil) -> Report {
        switch record {
        case .parity(let p): return parity(p)
        case .group(let r):
            var ini: GroupAnalysisRecord? = nil
            if case .group(let i)? = initial { ini = i }
            return group(r, initial: ini)
        }
    }

    static func group(_ r: GroupAnalysisRecord, initial: GroupAnalysisRecord?) -> Report {
        let summary = r.summary
        let margin = summary.margin
        let kind = r.componentKind
        var rows: [(String, String)] = [
            ("checkpoint", r.file),
            ("group", "\(r.group) (order \(r.order))"),
            ("neurons", String(r.width)),
            ("activation", r.activation + (r.layout.activationSource.map { " (from \($0))" } ?? "")),
            ("accuracy", pct(summary.accuracy)),
            ("normalized margin", fmt(margin.normalized)),
        ]
        if let g = margin.theoreticalMax {
            rows.append(("theoretical maximum γ*", "\(fmt(g)) (\(margin.theorem))"))
            rows.append(("margin / γ*", fmt(margin.ratio)))
        } else {
            rows.append(("theoretical maximum γ*", "not quoted: \(margin.noTheoreticalMaxBecause ?? "")"))
        }
        for role in r.roles {
            rows.append(("\(role): neurons with max normalized power ≥ 0.9", pct(summary.histograms[role]?.fractionAtLeast090)))
        }
        rows.append(("\(r.roles.joined(separator: ", ")) agree on one \(kind)", pct(summary.fractionAgree)))
        let unused = summary.componentsUnused.map(\.description)
        rows.append(("\(kind == "frequency" ? "frequencies" : kind + "s") never used", unused.isEmpty ? "none" : unused.joined(separator: ", ")))
        var notes: [String] = []
        if let other = summary.otherComposition, other.fitsBetter {
            notes.append("The other composition convention (\(other.composition ?? "")) fits the labels better: accuracy \(pct(other.accuracy)).")
        }
        var figures: [Report.Figure] = []
        // Max normalized power histograms, initial vs final when given.
        for role in r.roles {
            guard let h = summary.histograms[role] else { continue }
            var series: [(name: String, counts: [Int])] = []
            if let ic = initial?.summary.histograms[role]?.counts, ic.count == h.counts.count {
                series.append(("initial", ic))
            }
            series.append((initial == nil ? "neurons" : "final", h.counts))
            figures.append(.init(id: "histogram-\(role)",
                                 caption: "Max normalized power of each neuron's \(role) (trivial component excluded), \(h.edges.count - 1) bins on [0, 1]; the paper's Fig. 4 shows it spread out at initialization and near 1 after training with the quadratic activation.",
                                 svg: SVGPlot.histogram(id: "histogram-\(role)", title: "\(role): max normalized power", edges: h.edges, series: series)))
        }
        // Neurons per component.
        let labels = r.components
        if !summary.neuronsPerComponent.isEmpty {
            let per = summary.neuronsPerComponent
            let shown = labels.enumerated().filter { $0.offset != 0 || (per[$0.element] ?? 0) > 0 }
            let counts = shown.map { per[$0.element] ?? 0 }
            let marked = Set(shown.enumerated().filter { unused.contains($0.element.element) }.map(\.offset))
            figures.append(.init(id: "components", caption: "Neurons per \(kind) (each neuron counted once, by the \(kind) with the largest share of its \(r.roles.joined(separator: ", ")) power); hatched: never used.",
                                 svg: SVGPlot.bars(id: "components", title: "neurons per \(kind)", labels: shown.map(\.element),
                                                   counts: counts, marked: marked, xLabel: kind)))
        }
        // Heatmap of the first role's top shares, neurons sorted by dominant component.
        if let first = r.roles.first, !labels.isEmpty && !r.neurons.isEmpty {
            let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, $0.offset) })
            var rows2: [(Int, [Double])] = []
            for n in r.neurons {
                var row = [Double](repeating: 0, count: labels.count)
                for t in n.part(first)?.top ?? [] {
                    if let c = index[t.component.description] { row[c] = t.share }
                }
                let dom = n.part(first)?.dominant.flatMap { index[$0.description] } ?? Int.max
                rows2.append((dom, row))
            }
            rows2.sort { $0.0 < $1.0 }
            figures.append(.init(id: "spectra", caption: "Each neuron's \(first): shares of its largest components (as listed in report.json's top shares), neurons sorted by dominant \(kind).",
                                 svg: SVGPlot.heatmap(id: "spectra", title: "per-neuron spectra of \(first)", rows: rows2.map(\.1), columnLabels: labels, xLabel: kind)))
        }
        // Phase relation for cyclic groups.
        if kind == "frequency" {
            let res = r.neurons.compactMap { n -> (Double, Double)? in
                guard let ph = n.phaseResidual, let p = n.part("w")?.maxNormalizedPower else { return nil }
                return (ph, p)
            }
            if !res.isEmpty {
                figures.append(.init(id: "phases", caption: "Phase residual θ_u + θ_v − θ_w (mod 2π) of each neuron whose u, v, w share a frequency, against w's max normalized power; Theorem 7 predicts 0.",
                                     svg: SVGPlot.scatter(id: "phases", title: "phase relation θu + θv − θw", points: res,
                                                          xRange: -Double.pi...Double.pi, yRange: 0...1,
                                                          xLabel: "θu + θv − θw (radians)", yLabel: "w max normalized power")))
            }
        }
        rows += AttributionReport.rows(r)
        notes += AttributionReport.notes(r)
        figures += AttributionReport.figures(r)
        // The paper's Fig. 1 panels for the profiled neurons (`--neurons K`).
        figures += NeuronPlots.figures(r)
        return Report(title: "IrrepScope: \(r.group)", subtitle: r.file, summary: rows, notes: notes, figures: figures)
    }

    /// The note of a checkpoint that failed: its source and the error, the source named once
    /// (most errors begin with the file's path already).
    static func failureNote(_ f: BatchRecord) -> String {
        let error = f.error ?? ""
        return "failed: " + (error.hasPrefix(f.source + ":") || error.hasPrefix(f.path + ":") ? error : "\(f.source): \(error)")
    }

    /// The profiled neurons of a run's last checkpoint, captioned as such.
    static func lastCheckpointFigures(_ last: AnalysisRecord?) -> [Report.Figure] {
        guard case .group(let g)? = last else { return [] }
        return NeuronPlots.figures(g).map { f in
            var f = f
            f.caption = "Last checkpoint (\(g.file)). " + f.caption
            return f
        }
    }

    static func parity(_ r: ParityAnalysisRecord) -> Report {
        let summary = r.summary
        let margin = summary.margin
        let rows: [(String, String)] = [
            ("checkpoint", r.file),
            ("task", "(\(r.n), \(r.k))-sparse parity"),
            ("support", "\(r.support)\(r.supportInferred ? " (inferred)" : "")"),
            ("accuracy", pct(summary.accuracy)),
            ("normalized margin", fmt(margin.normalized)),
            ("γ*", fmt(margin.theoreticalMax)),
            ("margin / γ*", fmt(margin.ratio)),
            ("neurons with ≥ 90% of ‖u‖² on S", pct(summary.fractionSupportMass090)),
            ("sign condition holds", pct(summary.fractionSignCondition)),
        ]
        let edges = (0...20).map { Double($0) / 20 }
        var counts = [Int](repeating: 0, count: 20)
        for m in r.neurons.compactMap(\.supportMass) { counts[min(Int(m * 20), 19)] += 1 }
        let fig = Report.Figure(id: "support-mass", caption: "Share of each neuron's ‖u‖² on the support S; Theorem 8 predicts 1.",
                                svg: SVGPlot.histogram(id: "support-mass", title: "mass on the support", edges: edges,
                                                       series: [("neurons", counts)], xLabel: "share of ‖u‖² on S"))
        return Report(title: "IrrepScope: sparse parity", subtitle: r.file, summary: rows, figures: [fig])
    }

    /// A trajectory report over a training run: one record per checkpoint (failed ones are
    /// listed, not plotted), ordered by step; records of several runs make a sweep report.
    /// `last`, when given, is the full analysis of the last checkpoint
    /// (`BatchRunner.lastCheckpoint`), whose profiled neurons are drawn after the trajectories.
    public static func trajectory(_ lines: [BatchRecord], title: String, last: AnalysisRecord? = nil) -> Report {
        // Records of several runs (directories or list files, each a run) make a sweep report.
        let grouped = lines.filter { $0.run != nil && $0.run != $0.path }
        if Set(lines.map { $0.run ?? $0.path }).count > 1 && !grouped.isEmpty {
            // The last checkpoint's analysis knows its group's components in order: the
            // histogram of key components follows it when the sweep is of that group.
            var order: [String]? = nil
            if case .group(let g)? = last, lines.allSatisfy({ !$0.ok || $0.group == g.group }) { order = g.components }
            var report = AttributionReport.sweep(lines, title: title, componentOrder: order)
            report.figures += lastCheckpointFigures(last)
            return report
        }
        let good = lines.filter(\.ok)
        let failed = lines.filter { !$0.ok }
        let steps = good.enumerated().map { $0.element.step ?? Double($0.offset) }
        func series(_ key: KeyPath<BatchRecord, Double?>) -> [Double] { good.map { $0[keyPath: key] ?? .nan } }
        var figures: [Report.Figure] = []
        figures.append(.init(id: "trajectory-margin", caption: "Normalized margin h(θ)/‖θ‖^ν against the training step, with γ* (docs/theory.md §3) dashed when quoted.",
                             svg: SVGPlot.lines(id: "trajectory-margin", title: "normalized margin", series: [("normalized margin", steps, series(\.normalizedMargin))],
                                                xLabel: "step", yLabel: "normalized margin",
                                                reference: good.compactMap(\.theoreticalMax).first.map { ($0, "γ*") })))
        // A plot of margin / γ* only when some checkpoint has one (the sweep report's rule):
        // otherwise a sentence says why it is left out.
        let hasRatio = good.contains { $0.marginRatio != nil }
        if hasRatio {
            figures.append(.init(id: "trajectory-ratio", caption: "Normalized margin / γ*.",
                                 svg: SVGPlot.lines(id: "trajectory-ratio", title: "margin / γ*", series: [("margin / γ*", steps, series(\.marginRatio))],
                                                    xLabel: "step", yLabel: "ratio", reference: (1, "γ*"))))
        }
        figures.append(.init(id: "trajectory-sparsity", caption: "Fraction of neurons whose max normalized power is ≥ 0.9 (u, v, w), and accuracy on the whole population.",
                             svg: SVGPlot.lines(id: "trajectory-sparsity", title: "sparsity and accuracy",
                                                series: [("u ≥ 0.9", steps, series(\.fractionUAtLeast090)), ("v ≥ 0.9", steps, series(\.fractionVAtLeast090)),
                                                         ("w ≥ 0.9", steps, series(\.fractionWAtLeast090)), ("accuracy", steps, series(\.accuracy))],
                                                xLabel: "step", yLabel: "fraction")))
        figures.append(.init(id: "trajectory-components", caption: "Number of non-trivial components used by at least one neuron.",
                             svg: SVGPlot.lines(id: "trajectory-components", title: "components used",
                                                series: [("components used", steps, good.map { $0.componentsUsed.map(Double.init) ?? .nan })],
                                                xLabel: "step", yLabel: "components")))
        figures.append(.init(id: "trajectory-mean-power", caption: "Mean max normalized power of u over neurons.",
                             svg: SVGPlot.lines(id: "trajectory-mean-power", title: "mean max normalized power (u)", series: [("mean (u)", steps, series(\.meanMaxPowerU))],
                                                xLabel: "step", yLabel: "mean max normalized power")))
        figures += AttributionReport.trajectoryFigures(good, steps: steps)
        if let first = good.first, let last = good.last, let edges = first.histogramEdges,
           let c0 = first.histogramU, let c1 = last.histogramU {
            figures.insert(.init(id: "histogram-u", caption: "Max normalized power of u at the first and the last checkpoint of the run.",
                                 svg: SVGPlot.histogram(id: "histogram-u", title: "u: first vs last checkpoint", edges: edges,
                                                        series: [("step \(Int(steps.first ?? 0))", c0), ("step \(Int(steps.last ?? 0))", c1)])), at: 0)
        }
        var rows: [(String, String)] = [("checkpoints", "\(lines.count) (\(good.count) analyzed, \(failed.count) failed)")]
        if let last = good.last {
            rows.append(("last step", fmt(last.step, 8)))
            rows.append(("last accuracy", pct(last.accuracy)))
            rows.append(("last margin / γ*", fmt(last.marginRatio)))
            if last.loss != nil {
                rows.append(("last loss / restricted / excluded", "\(fmt(last.loss)) / \(fmt(last.restrictedLoss)) / \(fmt(last.excludedLoss))"))
            }
            if last.excludedLossOnPairs != nil {
                rows.append(("last on the given pairs: loss / restricted / excluded",
                             "\(fmt(last.lossOnPairs)) / \(fmt(last.restrictedLossOnPairs)) / \(fmt(last.excludedLossOnPairs))"))
            }
            if let o = last.lossOnOtherPairs { rows.append(("last loss on the other pairs", fmt(o))) }
        }
        figures += lastCheckpointFigures(last)
        var notes = failed.map(failureNote)
        if !good.isEmpty && !hasRatio {
            notes.append("No margin / γ* plot: no checkpoint has a γ* (the theorems' hypotheses do not hold for this network).")
        }
        return Report(title: title, subtitle: "training trajectory", summary: rows, notes: notes, figures: figures)
    }
}
