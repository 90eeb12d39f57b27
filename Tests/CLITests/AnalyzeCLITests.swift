import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Writes a safetensors file (float32 tensors, in the given order).
func writeSafetensors(_ path: String, _ tensors: [(name: String, shape: [Int], values: [Float])]) {
    var header = "{"
    var offset = 0
    var data: [UInt8] = []
    for (i, t) in tensors.enumerated() {
        let bytes = t.values.withUnsafeBytes { Array($0) }
        header += (i > 0 ? "," : "") + "\"\(t.name)\":{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes.count)]}"
        offset += bytes.count
        data += bytes
    }
    header += "}"
    while header.utf8.count % 8 != 0 { header += " " }
    var out: [UInt8] = []
    var n = UInt64(header.utf8.count).littleEndian
    withUnsafeBytes(of: &n) { out += $0 }
    out += Array(header.utf8) + data
    FileManager.default.createFile(atPath: path, contents: Data(out))
}

/// The Theorem 7 max-margin network for C_p as a PyTorch user would save it: two
/// nn.Embedding(p, m) weights and one nn.Linear(m, p, bias=False) weight, each (p × m).
func theorem7Tensors(p: Int, scale: Float = 1, noise: Float = 0, seed: UInt64 = 1) -> [(name: String, shape: [Int], values: [Float])] {
    let quarter = [0.0, Double.pi / 2, Double.pi, 3 * Double.pi / 2]
    var neurons: [(Int, Double, Double)] = []
    for z in 1...((p - 1) / 2) { for tu in quarter { for tv in quarter { neurons.append((z, tu, tv)) } } }
    let m = neurons.count
    var state = seed
    func rnd() -> Float { state = state &* 6364136223846793005 &+ 1442695040888963407; return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000 }
    var u = [Float](repeating: 0, count: p * m), v = u, w = u
    for (i, (z, tu, tv)) in neurons.enumerated() {
        for a in 0..<p {
            let t = 2 * Double.pi * Double(z * a % p) / Double(p)
            u[a * m + i] = scale * Float(cos(tu + t)) + noise * rnd()
            v[a * m + i] = scale * Float(cos(tv + t)) + noise * rnd()
            w[a * m + i] = scale * Float(cos(tu + tv + t)) + noise * rnd()
        }
    }
    return [("embed_a.weight", [p, m], u), ("embed_b.weight", [p, m], v), ("unembed.weight", [p, m], w)]
}

@Suite struct AnalyzeCLITests {
    @Test func theorem7NetworkIsFoundAndAttainsGammaStar() throws {
        let dir = ScratchDirectory()
        let path = dir.path("c7.safetensors")
        writeSafetensors(path, theorem7Tensors(p: 7, scale: 0.5))
        let r = try CLI.run(["analyze", path, "--group", "C7", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(r.json)
        #expect(j["group"] as? String == "C7")
        let layout = try #require(j["layout"] as? [String: Any])
        #expect((layout["u"] as? [String: Any])?["tensor"] as? String == "embed_a.weight")
        #expect((layout["w"] as? [String: Any])?["tensor"] as? String == "unembed.weight")
        let summary = try #require(j["summary"] as? [String: Any])
        #expect(summary["accuracy"] as? Double == 1)
        let margin = try #require(summary["margin"] as? [String: Any])
        // m = 48 < 4(p − 1) = 24? No: 48 ≥ 24, so γ* is quoted.
        #expect(abs((margin["ratio"] as? Double ?? 0) - 1) < 1e-5)
        #expect((summary["components_unused"] as? [Any])?.isEmpty == true)
        let neurons = try #require(j["neurons"] as? [[String: Any]])
        #expect(neurons.count == 48)
        #expect(((neurons[0]["u"] as? [String: Any])?["max_normalized_power"] as? Double ?? 0) > 0.99999)
    }

    @Test func outDirectoryHoldsAWellFormedReportWhosePlotsMatchItsJSON() throws {
        let dir = ScratchDirectory()
        let path = dir.path("c7.safetensors"), initPath = dir.path("c7-init.safetensors")
        writeSafetensors(path, theorem7Tensors(p: 7, scale: 0.5, noise: 0.05))
        writeSafetensors(initPath, theorem7Tensors(p: 7, scale: 0, noise: 1, seed: 9))
        let out = dir.path("report")
        let r = try CLI.run(["analyze", path, "--group", "C7", "--out", out, "--initial", initPath, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        for f in ["report.json", "neurons.csv", "report.html", "report.md", "histogram-u.svg", "components.svg", "spectra.svg", "phases.svg"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + f), "\(f)")
        }
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as! [String: Any]
        let counts = ((report["summary"] as! [String: Any])["histograms"] as! [String: Any])["u"] as! [String: Any]
        let svg = try String(contentsOfFile: out + "/histogram-u.svg", encoding: .utf8)
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = CountCollector()
        parser.delegate = collector
        #expect(parser.parse())
        // Two series (initial, final); the final one's bars are report.json's counts.
        let finalCounts = Array(collector.counts.suffix((counts["counts"] as! [Int]).count))
        #expect(finalCounts == counts["counts"] as! [Int])
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && !html.contains("<script"))
        let csv = try String(contentsOfFile: out + "/neurons.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 49)
    }

    @Test func failedDetectionListsCandidates() throws {
        let dir = ScratchDirectory()
        let path = dir.path("odd.safetensors")
        writeSafetensors(path, [("a", [7, 4], [Float](repeating: 1, count: 28))])
        let r = try CLI.run(["analyze", path, "--group", "C7"])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("a [7, 4]") && r.stderr.contains("--u NAME"))
    }
}

final class CountCollector: NSObject, XMLParserDelegate {
    var counts: [Int] = []
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if name == "rect", let c = attributes["data-count"].flatMap(Int.init) { counts.append(c) }
    }
}

@Suite struct BatchCLITests {
    /// A run of 6 checkpoints (step in the name) with a corrupted file in the middle.
    func makeRun(_ dir: ScratchDirectory) -> String {
        let run = dir.path("run")
        try! FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        for (k, step) in [0, 100, 200, 300, 400, 500].enumerated() {
            let path = run + "/step_\(step).safetensors"
            if step == 300 {
                FileManager.default.createFile(atPath: path, contents: Data("garbage, not a checkpoint".utf8))
            } else {
                writeSafetensors(path, theorem7Tensors(p: 5, scale: Float(k + 1) / 6, noise: Float(5 - k) / 10, seed: UInt64(k)))
            }
        }
        return run
    }

    @Test func badFileIsRecordedAndTheRunGoesOn() throws {
        let dir = ScratchDirectory()
        let run = makeRun(dir)
        let out = dir.path("out")
        let r = try CLI.run(["batch", run, "--group", "C5", "--out", out, "--quiet"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("5 checkpoints analyzed, 1 failed"))
        let lines = try String(contentsOfFile: out + "/results.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        let objs = lines.map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objs.map { $0["step"] as? Double } == [0, 100, 200, 300, 400, 500])
        #expect(objs.filter { $0["ok"] as? Bool == true }.count == 5)
        let bad = try #require(objs.first { $0["ok"] as? Bool == false })
        #expect((bad["source"] as? String)?.hasSuffix("step_300.safetensors") == true)
        #expect((bad["error"] as? String)?.contains("unrecognised file format") == true)
        #expect(FileManager.default.fileExists(atPath: out + "/report.html"))
        #expect(FileManager.default.fileExists(atPath: out + "/trajectory-margin.svg"))

        // Resume: nothing good is redone; only the failed one is retried.
        let again = try CLI.run(["batch", run, "--group", "C5", "--out", out, "--resume", "--quiet"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("5 of 6 checkpoints already done"))
        let lines2 = try String(contentsOfFile: out + "/results.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines2 == lines)
    }

    @Test func shardsMergeToExactlyTheSingleMachineResult() throws {
        let dir = ScratchDirectory()
        let run = makeRun(dir)
        let single = dir.path("single")
        _ = try CLI.run(["batch", run, "--group", "C5", "--out", single, "--quiet"])
        var shardDirs: [String] = []
        for i in 0..<3 {
            let d = dir.path("shard\(i)")
            shardDirs.append(d)
            _ = try CLI.run(["batch", run, "--group", "C5", "--out", d, "--shard", "\(i)/3", "--quiet", "--jobs", "1"])
            let n = try String(contentsOfFile: d + "/results.jsonl", encoding: .utf8).split(separator: "\n").count
            #expect(n == 2)
        }
        let merged = dir.path("merged")
        let m = try CLI.run(["merge"] + shardDirs + ["--out", merged])
        #expect(m.status == 1, "a failed checkpoint keeps the exit status non-zero")
        let a = try Data(contentsOf: URL(fileURLWithPath: single + "/results.jsonl"))
        let b = try Data(contentsOf: URL(fileURLWithPath: merged + "/results.jsonl"))
        #expect(a == b)
    }
}

/// Renders a report in a real browser, Debian's `chromium` (which `make test` installs; `make
/// report-check` does the same by hand): no console errors, every plot rendered.
@Suite struct BrowserReportCheck {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func reportRendersInHeadlessChromium() throws {
        try #require(Self.chromium != nil, "chromium is not installed: `make test` installs it (apt-get install chromium)")
        let dir = ScratchDirectory()
        let path = dir.path("c7.safetensors")
        writeSafetensors(path, theorem7Tensors(p: 7, scale: 0.5, noise: 0.05))
        let out = dir.path("report")
        let r = try CLI.run(["analyze", path, "--group", "C7", "--out", out])
        #expect(r.status == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [BrowserReportCheck.repository.appendingPathComponent("scripts/report_check.sh").path, out]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("plots rendered, no console errors"))
        #expect(FileManager.default.fileExists(atPath: out + "/screenshot.png"))
    }
}

@Suite struct BatchListFileTests {
    /// One file holding a list of three checkpoints (`checkpoints.i.…`, as some trainers save).
    @Test func aFileWithAListOfCheckpointsGivesOneLineEach() throws {
        let dir = ScratchDirectory()
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for i in 0..<3 {
            for t in theorem7Tensors(p: 5, scale: Float(i + 1) / 3, noise: 0.1, seed: UInt64(i)) {
                tensors.append(("checkpoints.\(i).\(t.name)", t.shape, t.values))
            }
        }
        let path = dir.path("run.safetensors")
        writeSafetensors(path, tensors)
        let out = dir.path("out")
        let r = try CLI.run(["batch", path, "--group", "C5", "--out", out, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: out + "/results.jsonl", encoding: .utf8).split(separator: "\n")
        let sources = lines.map { (try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["source"] as! String }
        #expect(sources == ["\(path)#0", "\(path)#1", "\(path)#2"])
    }
}

@Suite struct ElementOrderTests {
    /// The trained S_4 network with its rows shuffled: given the shuffled order as a list of
    /// permutations (1-based, as a trainer might write them), the analysis is unchanged.
    @Test func elementsFileUndoesATrainersRowOrder() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let original = root.appendingPathComponent("data/s4-quadratic-final.pt").path
        let dir = ScratchDirectory()
        // Lexicographic permutations of {0,1,2,3}: the default order (docs/theory.md §6).
        var perms: [[Int]] = []
        func build(_ prefix: [Int]) {
            if prefix.count == 4 { perms.append(prefix); return }
            for x in 0..<4 where !prefix.contains(x) { build(prefix + [x]) }
        }
        build([])
        let shuffle = (0..<24).map { ($0 * 7 + 3) % 24 }   // row r holds element shuffle[r]
        // Read the original tensors through `convert` to .npy, shuffle rows, write safetensors.
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for name in ["model.embed_a.weight", "model.embed_b.weight", "model.unembed.weight"] {
            let npy = dir.path(name + ".npy")
            let c = try CLI.run(["convert", original, npy, "--tensor", name])
            #expect(c.status == 0, "\(c.stderr)")
            let data = try Data(contentsOf: URL(fileURLWithPath: npy))
            let headerLength = Int(data[8]) | Int(data[9]) << 8
            let floats = data.subdata(in: (10 + headerLength)..<data.count).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            let m = floats.count / 24
            var shuffled = [Float](repeating: 0, count: floats.count)
            for r in 0..<24 { for i in 0..<m { shuffled[r * m + i] = floats[shuffle[r] * m + i] } }
            tensors.append((String(name.dropFirst("model.".count)), [24, m], shuffled))
        }
        let path = dir.path("shuffled.safetensors")
        writeSafetensors(path, tensors)
        let list = shuffle.map { perms[$0].map { $0 + 1 } }
        try JSONSerialization.data(withJSONObject: list).write(to: URL(fileURLWithPath: dir.path("elements.json")))
        let a = try CLI.run(["analyze", original, "--group", "S4", "--format", "json"])
        let b = try CLI.run(["analyze", path, "--group", "S4", "--elements", dir.path("elements.json"), "--format", "json"])
        let c = try CLI.run(["analyze", path, "--group", "S4", "--format", "json"])
        #expect(b.status == 0, "\(b.stderr)")
        func margin(_ r: CLIResult) -> Double { ((r.json?["summary"] as? [String: Any])?["margin"] as? [String: Any])?["normalized"] as? Double ?? .nan }
        func accuracy(_ r: CLIResult) -> Double { (r.json?["summary"] as? [String: Any])?["accuracy"] as? Double ?? .nan }
        #expect(abs(margin(a) - margin(b)) < 1e-12 * abs(margin(a)))
        #expect(accuracy(b) == 1)
        #expect(accuracy(c) < 0.5, "without the element list the shuffled rows make no sense")
        // A list that is not the group is refused.
        try JSONSerialization.data(withJSONObject: Array(list.dropLast()) + [list[0]]).write(to: URL(fileURLWithPath: dir.path("bad.json")))
        let bad = try CLI.run(["analyze", path, "--group", "S4", "--elements", dir.path("bad.json")])
        #expect(bad.status != 0 && bad.stdout.isEmpty)
    }
}

@Suite struct TransposedLayoutTests {
    /// With m = |G| every matrix is square: the analysis also measures the other orientation
    /// and reports it; its numbers equal an explicit analysis with the element axes swapped.
    @Test func squareMatricesAreAlsoMeasuredTransposed() throws {
        let dir = ScratchDirectory()
        var state: UInt64 = 3
        func rnd() -> [Float] {
            (0..<49).map { _ in state = state &* 6364136223846793005 &+ 1442695040888963407; return Float(Int(state >> 40) % 2000 - 1000) / 1000 }
        }
        let path = dir.path("sq.safetensors")
        writeSafetensors(path, [("left", [7, 7], rnd()), ("right", [7, 7], rnd()), ("out", [7, 7], rnd())])
        let r = try CLI.run(["analyze", path, "--group", "C7", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try #require(r.json?["summary"] as? [String: Any])
        let t = try #require(summary["transposed_layout"] as? [String: Any])
        let e = try CLI.run(["analyze", path, "--group", "C7", "--format", "json", "--u", "left", "--v", "right", "--w", "out",
                             "--u-axis", "1", "--v-axis", "1", "--w-axis", "1"])
        let es = try #require(e.json?["summary"] as? [String: Any])
        #expect(t["accuracy"] as? Double == es["accuracy"] as? Double)
        let em = (es["margin"] as? [String: Any])?["normalized"] as? Double ?? .nan
        #expect(abs((t["normalized_margin"] as? Double ?? 0) - em) <= 1e-12 * abs(em))
    }
}
