import Analysis
import Foundation
import Testing
@testable import Batch

/// Batch as a library: inputs → ordered items → workers → results.jsonl, resume, shards, merge.
@Suite struct BatchRunnerTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let run = root.appendingPathComponent("data/c71-quadratic-run").path

    func scratch() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("irrepscope-batch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func aTrainingRunIsAnalyzedInStepOrderWithItsRunIdentity() throws {
        let out = try scratch()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let outcome = try BatchRunner.run([Self.run], BatchRequest(analysis: AnalysisRequest(task: .group("C71")), out: out))
        #expect(outcome.records.map(\.step) == [0, 394, 926, 2175, 5109, 12000])
        #expect(outcome.records.allSatisfy { $0.ok && $0.run == Self.run })
        #expect(outcome.failed.isEmpty)
        // The last checkpoint is the run's final network: its numbers are those of a single analysis.
        guard case .group(let a, _) = try Analyzer.analyze(path: Self.run + "/c71-quadratic-step012000.pt", AnalysisRequest(task: .group("C71"))) else {
            Issue.record("not a group analysis"); return
        }
        #expect(outcome.records.last!.normalizedMargin == a.normalizedMargin)
        #expect(outcome.records.last!.componentsUsed == 35)
        let lines = try String(contentsOfFile: outcome.resultsPath, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
    }

    /// A real grokking run's checkpoints (data/universality-d59-run/: epoch_3000.pt and
    /// epoch_30000.pt of the universality MLP on D_59): steps from the file names, and every line
    /// carries the attribution of a single analysis of that checkpoint with the same request.
    @Test func aGrokkingRunRecordsTheProgressMeasures() throws {
        let out = try scratch()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let dir = Self.root.appendingPathComponent("data/universality-d59-run").path
        var analysis = AnalysisRequest(task: .group("D59"))
        analysis.attribution?.pairsFile = Self.root.appendingPathComponent("data/universality-d59-train-pairs.json").path
        let outcome = try BatchRunner.run([dir], BatchRequest(analysis: analysis, out: out))
        #expect(outcome.records.map(\.step) == [3000, 30000] && outcome.failed.isEmpty)
        for r in outcome.records {
            guard case .group(let a, _) = try Analyzer.analyze(path: r.path, analysis), let at = a.attribution else {
                Issue.record("no attribution for \(r.path)"); continue
            }
            #expect(r.keyComponents == at.keyComponents.map { ComponentLabel.labeller(cyclic: false, labels: a.componentLabels)($0) })
            #expect(r.loss == at.loss && r.restrictedLoss == at.restrictedLoss && r.excludedLoss == at.excludedLoss)
            #expect(r.accuracy == a.accuracy)
            // Neurons per component by dominance: the analysis's counts of the components used.
            let used = a.neuronsPerComponent.indices.filter { $0 != 0 && a.neuronsPerComponent[$0] > 0 }
            #expect(r.neuronsPerComponent == Dictionary(uniqueKeysWithValues: used.map { (a.componentLabels[$0], a.neuronsPerComponent[$0]) }))
            #expect(r.neuronsPerComponent?.count == r.componentsUsed)
            // The losses on the training pairs: the analysis's, and the numpy reference's to 1e-9.
            let p = try #require(at.onPairs)
            #expect(r.lossOnPairs == p.loss && r.restrictedLossOnPairs == p.restrictedLoss && r.excludedLossOnPairs == p.excludedLoss)
            let name = "attribution-universality-d59-run--" + URL(fileURLWithPath: r.path).deletingPathExtension().lastPathComponent + ".json"
            let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent("data/expected/" + name))) as! [String: Any]
            let ref = expected["pairs"] as! [String: Any]
            for (mine, key) in [(r.lossOnPairs, "loss"), (r.restrictedLossOnPairs, "restricted_loss"), (r.excludedLossOnPairs, "excluded_loss"),
                                (r.lossOnOtherPairs, "other_loss")] {
                let want = ref[key] as! Double
                #expect(abs(mine! - want) <= 1e-9 * abs(want), "\(name) \(key)")
            }
        }
        // The paper's excluded loss (on the training pairs) rises: 0.0039 → 7.74; the test loss
        // (the other pairs) falls from 30.6 to below 0.01: the network generalizes.
        #expect(outcome.records[0].excludedLossOnPairs! < 0.01 && outcome.records[1].excludedLossOnPairs! > 7)
        #expect(outcome.records[0].lossOnOtherPairs! > 30 && outcome.records[1].lossOnOtherPairs! < 0.01)
        // The progress measures: the restricted loss falls by five orders of magnitude while the
        // key set shrinks from 29 irreps to 18.
        #expect(outcome.records.map { $0.keyComponents?.count } == [29, 18])
        #expect(outcome.records[0].restrictedLoss! > 0.1 && outcome.records[1].restrictedLoss! < 1e-5)
    }

    @Test func shardsMergeIntoTheSingleMachineFileAndResumeSkipsWhatIsDone() throws {
        let whole = try scratch(), s0 = try scratch(), s1 = try scratch()
        defer { for d in [whole, s0, s1] { try? FileManager.default.removeItem(atPath: d) } }
        let request = AnalysisRequest(task: .group("C71"))
        let all = try BatchRunner.run([Self.run], BatchRequest(analysis: request, out: whole))
        for (i, d) in [s0, s1].enumerated() {
            var r = BatchRequest(analysis: request, out: d)
            r.shard = (i, 2)
            #expect(try BatchRunner.run([Self.run], r).records.count == 3)
        }
        let merged = try BatchRunner.merge([s0, s1])
        #expect(merged.flatMap { $0.jsonLine() } == all.records.flatMap { $0.jsonLine() })
        // Resume: nothing left to do, the file is unchanged.
        let before = try Data(contentsOf: URL(fileURLWithPath: all.resultsPath))
        var r = BatchRequest(analysis: request, out: whole)
        r.resume = true
        let done = Counter()
        r.progress = { _, _, _ in done.add() }
        _ = try BatchRunner.run([Self.run], r)
        #expect(done.value == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: all.resultsPath)) == before)
    }

    @Test func aBadFileIsRecordedAndTheOthersAreKept() throws {
        let out = try scratch()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let bad = out + "/step5.pt"
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: bad))
        let good = Self.run + "/c71-quadratic-step000394.pt"
        let outcome = try BatchRunner.run([good, bad], BatchRequest(analysis: AnalysisRequest(task: .group("C71")), out: out + "/o"))
        #expect(outcome.records.count == 2)
        #expect(outcome.failed.map(\.source) == [bad])
        #expect(outcome.failed[0].step == 5 && outcome.failed[0].error?.contains(bad) == true)
        #expect(outcome.records.first { $0.ok }?.step == 394)
    }

    @Test func aRunDirectoryWithALogAndAPlotSkipsThemInOneNote() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = dir + "/c71"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        for step in ["000394", "012000"] {
            try FileManager.default.copyItem(atPath: Self.run + "/c71-quadratic-step\(step).pt", toPath: run + "/c71-quadratic-step\(step).pt")
        }
        try Data("{\"loss\": [1.0, 0.5]}".utf8).write(to: URL(fileURLWithPath: run + "/c71-quadratic-log.json"))
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0]).write(to: URL(fileURLWithPath: run + "/loss.png"))
        let notes = NoteLines()
        var request = BatchRequest(analysis: AnalysisRequest(task: .group("C71")), out: dir + "/out")
        request.note = { notes.add($0) }
        let outcome = try BatchRunner.run([run], request)
        #expect(outcome.records.map(\.step) == [394, 12000])
        #expect(outcome.failed.isEmpty)
        let skipped = notes.lines.filter { $0.hasPrefix("skipped") }
        #expect(skipped == ["skipped 2 file(s) that hold no checkpoint format: c71-quadratic-log.json, loss.png"])
        // Named explicitly, the log is still an error.
        let named = try BatchRunner.run([run + "/c71-quadratic-log.json"], BatchRequest(analysis: AnalysisRequest(task: .group("C71")), out: dir + "/out2"))
        #expect(named.failed.count == 1 && named.failed[0].error?.contains("unrecognised file format") == true)
    }

    /// Transformer lines carry W_E's key frequencies (data/expected/transformer-p53.json,
    /// numpy's FFT of W_E), the forward pass's loss and the heads' attention to a and b (the
    /// numpy reference of scripts/make_transformer_fixtures.py); other lines do not.
    @Test func transformerLinesCarryTheEmbeddingKeysLossAndAttention() throws {
        let out = try scratch()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p53 = Self.root.appendingPathComponent("data/transformer-p53-final.pt").path
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent("data/expected/transformer-p53.json"))) as! [String: Any]
        let keys = (expected["final"] as! [String: Any])["key_frequencies"] as! [Int]
        let trained = try BatchRunner.run([p53], BatchRequest(analysis: AnalysisRequest(task: .group("C53")), out: out + "/p53"))
        let r = try #require(trained.records.first)
        #expect(r.ok && r.embeddingKeyComponents == keys.map { ComponentLabel.frequency($0) })
        #expect(r.accuracy == 1 && r.isTransformer)
        let line = String(decoding: r.jsonLine(), as: UTF8.self)
        #expect(line.contains("\"embedding_key_components\":[\(keys.map(String.init).joined(separator: ","))]"))
        #expect(try JSONDecoder().decode(BatchRecord.self, from: Data(r.jsonLine())) == r)

        let fixtures = Self.root.appendingPathComponent("Tests/AnalysisTests/Fixtures/transformer")
        let reference = (try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("expected.json"))) as! [String: Any])["networks"] as! [String: [String: Any]]
        for (name, group) in [("pm-c7-relu", "C7"), ("tl-s3-relu", "S3")] {
            let e = try #require(reference[name])
            let small = try BatchRunner.run([fixtures.appendingPathComponent(name + ".pt").path],
                                            BatchRequest(analysis: AnalysisRequest(task: .group(group)), out: out + "/" + name))
            let t = try #require(small.records.first)
            let loss = try #require(t.transformerLoss), ref = e["loss"] as! Double
            #expect(abs(loss - ref) <= 1e-9 * max(1, abs(ref)), "\(name) loss")
            let heads = e["head_attention"] as! [[Double]]
            #expect(t.headAttentionToA?.count == heads.count && t.headAttentionToB?.count == heads.count)
            for (h, ref) in heads.enumerated() {
                #expect(abs(t.headAttentionToA![h] - ref[0]) <= 1e-9 && abs(t.headAttentionToB![h] - ref[2]) <= 1e-9, "\(name) head \(h)")
            }
            if group == "S3" { #expect(t.embeddingKeyComponents?.allSatisfy { if case .irrep = $0 { return true } else { return false } } == true) }
        }

        // Not a transformer: the line has none of these fields.
        let c71 = try BatchRunner.run([Self.run + "/c71-quadratic-step000394.pt"], BatchRequest(analysis: AnalysisRequest(task: .group("C71")), out: out + "/c71"))
        let plain = String(decoding: try #require(c71.records.first).jsonLine(), as: UTF8.self)
        #expect(plain.contains("\"loss\":") && !plain.contains("embedding_key") && !plain.contains("transformer_loss") && !plain.contains("head_attention"))
    }

    @Test func stepsComeFromMetadataOrNames() {
        #expect(BatchInputs.stepFromName("runs/a/epoch_12.pt") == 12)
        #expect(BatchInputs.stepFromName("list.pt#3") == 3)
        #expect(BatchInputs.stepFromName("final.pt") == nil)
        #expect((try? BatchInputs.parseShard("3/4"))! == (3, 4))
        #expect(throws: BatchError.self) { try BatchInputs.parseShard("4/4") }
    }
}

final class NoteLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func add(_ s: String) { lock.lock(); stored.append(s); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var value = 0
    func add() { lock.lock(); value += 1; lock.unlock() }
}
