import Foundation
import Testing

/// `analyze`'s attribution options (docs/attribution.md §8) on the command line.
@Suite struct AttributionCLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func jsonHasTheAttributionAndPairsAndTheTableItsKeyLines() throws {
        let r = try CLI.run(["analyze", "data/s4-quadratic-final.pt", "--group", "S4", "--format", "json", "--key-threshold", "0.45"], cwd: Self.root)
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try #require(r.json?["summary"] as? [String: Any])
        let a = try #require(summary["attribution"] as? [String: Any])
        #expect(a["threshold"] as? Double == 0.45)
        // s = 0.538, 0.494, 0.539, 0.418 on [3,1], [2,2], [2,1,1], [1^4]: 0.45 keeps three.
        #expect(a["key_components"] as? [String] == ["[3,1]", "[2,2]", "[2,1,1]"])
        let neurons = try #require(r.json?["neurons"] as? [[String: Any]])
        let hidden = try #require(neurons.first?["hidden"] as? [String: Any])
        #expect(hidden["component"] is String && hidden["fraction"] is Double && hidden["product_share"] is Double)

        let t = try CLI.run(["analyze", "data/s4-quadratic-final.pt", "--group", "S4", "--key-threshold", "0.45"], cwd: Self.root)
        let keyLines = t.stdout.split(separator: "\n").filter { $0.hasPrefix("  key irrep ") }
        #expect(keyLines.count == 3)
        // [1,1,1,1] is some neuron's dominant irrep but no longer key: the note says so.
        #expect(t.stdout.contains("differ") && t.stdout.contains("not key: [1,1,1,1]"))
    }

    @Test func pairsFileAddsTheLossesOnThePairs() throws {
        let r = try CLI.run(["analyze", "data/c71-quadratic-final.pt", "--group", "C71", "--format", "json", "--pairs", "data/attribution-pairs-c71.json"], cwd: Self.root)
        #expect(r.status == 0, "\(r.stderr)")
        let a = try #require((r.json?["summary"] as? [String: Any])?["attribution"] as? [String: Any])
        let p = try #require(a["pairs"] as? [String: Any])
        #expect(p["count"] as? Int == 1512)
        // The 71² − 1512 pairs the list leaves out, and the network's loss on them (the numpy
        // reference: data/expected/attribution-c71-quadratic-final.json).
        #expect(p["other_count"] as? Int == 3529)
        let other = try #require(p["other_loss"] as? Double)
        #expect(abs(other - 0.244260564971423) < 1e-9)
        // The table and the report say it too.
        let table = try CLI.run(["analyze", "data/c71-quadratic-final.pt", "--group", "C71", "--pairs", "data/attribution-pairs-c71.json"], cwd: Self.root)
        #expect(table.stdout.contains("  on the 3529 other pairs: loss 0.2443\n"))
        let scratch = ScratchDirectory()
        let out = scratch.path("report")
        let rep = try CLI.run(["analyze", "data/c71-quadratic-final.pt", "--group", "C71", "--pairs", "data/attribution-pairs-c71.json", "--out", out], cwd: Self.root)
        #expect(rep.status == 0, "\(rep.stderr)")
        let md = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        #expect(md.contains("| on the 3529 other pairs: loss | 0.2443 |") && md.contains("| on the 1512 given pairs: loss / restricted / excluded |"))
    }

    @Test func noAttributionLeavesItOut() throws {
        let r = try CLI.run(["analyze", "data/s4-quadratic-final.pt", "--group", "S4", "--format", "json", "--no-attribution"], cwd: Self.root)
        #expect(r.status == 0)
        #expect((r.json?["summary"] as? [String: Any])?["attribution"] == nil)
        #expect(!r.stdout.contains("\"hidden\""))
    }

    @Test(arguments: [["--key-threshold", "1.5"], ["--key-threshold", "-0.1"], ["--pairs", "x.json", "--no-attribution"]])
    func badOptionsAreRefused(extra: [String]) throws {
        let r = try CLI.run(["analyze", "data/s4-quadratic-final.pt", "--group", "S4"] + extra, cwd: Self.root)
        #expect(r.status != 0)
        #expect(r.stdout.isEmpty)
    }

    /// A bad pairs file: a clear error naming the file, non-zero exit, no output and no
    /// partial report directory content.
    @Test func badPairsFileIsAnErrorNamingIt() throws {
        let scratch = ScratchDirectory()
        let bad = scratch.path("pairs.json")
        try "[[0, 1], [3, 99]]".write(toFile: bad, atomically: true, encoding: .utf8)
        let out = scratch.path("out")
        let r = try CLI.run(["analyze", "data/s4-quadratic-final.pt", "--group", "S4", "--pairs", bad, "--out", out], cwd: Self.root)
        #expect(r.status != 0)
        #expect(r.stderr.contains(bad) && r.stderr.contains("entry 1"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: out + "/report.json"))
    }
}

/// A sweep through `batch --runs`: run ids, the sweep report, and shards that merge to the
/// single-machine result byte for byte.
@Suite struct SweepCLITests {
    @Test func runsListMakesASweepAndShardsMergeByteForByte() throws {
        let root = AttributionCLITests.root
        let scratch = ScratchDirectory()
        let fm = FileManager.default
        let run = root.appendingPathComponent("data/c71-quadratic-run").path
        let names = try fm.contentsOfDirectory(atPath: run).filter { $0.hasSuffix(".pt") }.sorted()
        // Two runs of two checkpoints each.
        for (r, pick) in [("runA", [names[1], names[5]]), ("runB", [names[2], names[4]])] {
            try fm.createDirectory(atPath: scratch.path(r), withIntermediateDirectories: true)
            for n in pick { try fm.copyItem(atPath: run + "/" + n, toPath: scratch.path("\(r)/\(n)")) }
        }
        try "# the sweep\nrunA\nrunB\n".write(toFile: scratch.path("runs.txt"), atomically: true, encoding: .utf8)
        let whole = try CLI.run(["batch", "--runs", scratch.path("runs.txt"), "--group", "C71", "--out", scratch.path("whole"), "--quiet"], cwd: root)
        #expect(whole.status == 0, "\(whole.stderr)")
        let lines = try String(contentsOfFile: scratch.path("whole/results.jsonl"), encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(Set(records.map { $0["run"] as! String }) == [scratch.path("runA"), scratch.path("runB")])
        #expect(records.allSatisfy { $0["restricted_loss"] is Double && $0["key_components"] is [Int] })
        let html = try String(contentsOfFile: scratch.path("whole/report.html"), encoding: .utf8)
        #expect(html.contains("sweep of 2 runs") && html.contains("sweep-key-histogram"))
        for s in 0..<2 {
            let r = try CLI.run(["batch", "--runs", scratch.path("runs.txt"), "--group", "C71", "--out", scratch.path("shard\(s)"),
                                 "--shard", "\(s)/2", "--quiet"], cwd: root)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let m = try CLI.run(["merge", scratch.path("shard0"), scratch.path("shard1"), "--out", scratch.path("merged")], cwd: root)
        #expect(m.status == 0, "\(m.stderr)")
        #expect(fm.contents(atPath: scratch.path("merged/results.jsonl")) == fm.contents(atPath: scratch.path("whole/results.jsonl")))
    }

    @Test func missingRunsFileIsAnError() throws {
        let r = try CLI.run(["batch", "--runs", "/nonexistent/runs.txt", "--group", "C71", "--out", "/tmp/irrepscope-never", "--quiet"],
                            cwd: AttributionCLITests.root)
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent/runs.txt"))
    }
}

/// The activation declared in a checkpoint's metadata, on the command line.
@Suite struct DeclaredActivationCLITests {
    static let root = AttributionCLITests.root

    /// data/c71-quadratic-final.safetensors with its `activation` metadata rewritten (the
    /// header padded with spaces to its recorded length).
    static func declaring(_ value: String, in dir: ScratchDirectory) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: root.appendingPathComponent("data/c71-quadratic-final.safetensors")))
        let old = Array("\"activation\":\"quadratic\"".utf8), new = Array("\"activation\":\"\(value)\"".utf8)
        precondition(new.count <= old.count)
        let at = try #require((0...(bytes.count - old.count)).first { Array(bytes[$0..<($0 + old.count)]) == old })
        bytes.replaceSubrange(at..<(at + old.count), with: new + Array(repeating: UInt8(ascii: " "), count: old.count - new.count))
        let path = dir.path("declared.safetensors")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aDeclaredReLUIsUsedAndSaid() throws {
        let dir = ScratchDirectory()
        let path = try Self.declaring("nn.ReLU()", in: dir)
        let r = try CLI.run(["analyze", path, "--group", "C71", "--format", "json"], cwd: Self.root)
        #expect(r.status == 0, "\(r.stderr)")
        let told = try CLI.run(["analyze", path, "--group", "C71", "--format", "json", "--activation", "relu"], cwd: Self.root)
        let a = try #require(r.json), b = try #require(told.json)
        #expect(a["activation"] as? String == "relu")
        #expect((a["layout"] as? [String: Any])?["activation_source"] as? String == "the checkpoint's metadata activation")
        #expect((b["layout"] as? [String: Any])?["activation_source"] == nil)
        // The same numbers as with the flag.
        #expect(NSDictionary(dictionary: a["summary"] as? [String: Any] ?? [:]).isEqual(to: b["summary"] as? [String: Any] ?? ["": 0]))
        let text = try CLI.run(["analyze", path, "--group", "C71", "--no-attribution"], cwd: Self.root)
        #expect(text.stdout.hasPrefix("\(path): group C71 (order 71), 500 neurons, relu activation (from the checkpoint's metadata activation)\n"))
    }

    @Test func aDeclaredActivationNotModelledIsAnErrorAndTheFlagOverridesIt() throws {
        let dir = ScratchDirectory()
        let path = try Self.declaring("tanh", in: dir)
        let r = try CLI.run(["analyze", path, "--group", "C71", "--format", "json"], cwd: Self.root)
        #expect(r.status != 0)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(path) && r.stderr.contains("activation = 'tanh'") && r.stderr.contains("--activation"), "\(r.stderr)")
        let told = try CLI.run(["analyze", path, "--group", "C71", "--format", "json", "--activation", "quadratic"], cwd: Self.root)
        #expect(told.status == 0, "\(told.stderr)")
    }
}
