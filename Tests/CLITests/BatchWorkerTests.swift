import Foundation
import XCTest

/// Issue 15, "Batch survives anything one file does": analyses run in worker processes; a
/// worker that traps, exhausts its memory limit or hangs costs only its own file's result,
/// and the records of the good files are byte for byte those of an in-process run.
final class BatchWorkerTests: XCTestCase {
    static let run = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data/c71-quadratic-run")

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func testWorkerRecordsAreByteIdenticalToInProcessOnes() throws {
        let dir = ScratchDirectory()
        let a = try CLI.run(["batch", Self.run.path, "--group", "C71", "--out", dir.path("workers"), "--quiet"])
        let b = try CLI.run(["batch", Self.run.path, "--group", "C71", "--out", dir.path("inproc"), "--quiet", "--in-process"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(b.status, 0, b.stderr)
        let x = try Data(contentsOf: URL(fileURLWithPath: dir.path("workers/results.jsonl")))
        let y = try Data(contentsOf: URL(fileURLWithPath: dir.path("inproc/results.jsonl")))
        XCTAssertEqual(x, y)
        XCTAssertEqual(try lines(dir.path("workers/results.jsonl")).filter { !$0.isEmpty }.count, 6)
    }

    /// A file holding a list of checkpoints is split by a worker, entry by entry, into the
    /// same records as in process.
    func testListOfCheckpointsThroughWorkers() throws {
        let dir = ScratchDirectory()
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for i in 0..<3 {
            for t in theorem7Tensors(p: 5, scale: Float(i + 1) / 3, noise: 0.1, seed: UInt64(i)) {
                tensors.append(("checkpoints.\(i).\(t.name)", t.shape, t.values))
            }
        }
        let path = dir.path("run.safetensors")
        writeSafetensors(path, tensors)
        let a = try CLI.run(["batch", path, "--group", "C5", "--out", dir.path("w"), "--quiet"])
        let b = try CLI.run(["batch", path, "--group", "C5", "--out", dir.path("i"), "--quiet", "--in-process"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(b.status, 0, b.stderr)
        let x = try lines(dir.path("w/results.jsonl")), y = try lines(dir.path("i/results.jsonl"))
        XCTAssertEqual(x, y)
        XCTAssertEqual(x.filter { $0.contains("\"ok\":true") }.count, 3)
    }

    /// Good networks mixed with a trapping file, a width-0 network, a decompression bomb, a
    /// FIFO, a hanging file and one that allocates without bound: every good result is kept,
    /// every bad one recorded, the summary and exit status count the failures.
    func testBatchSurvivesEveryKindOfBadFile() throws {
        let dir = ScratchDirectory()
        let mix = dir.path("mix")
        try FileManager.default.createDirectory(atPath: mix, withIntermediateDirectories: true)
        let good = try FileManager.default.contentsOfDirectory(atPath: Self.run.path).filter { $0.hasSuffix(".pt") }.sorted()
        for g in good { try FileManager.default.copyItem(atPath: Self.run.appendingPathComponent(g).path, toPath: mix + "/" + g) }
        // The worker is told (test hook) to trap, hang or allocate at these three names.
        let sample = Self.run.appendingPathComponent(good[1]).path
        for name in ["trap.pt", "hang.pt", "alloc.pt"] { try FileManager.default.copyItem(atPath: sample, toPath: mix + "/" + name) }
        writeSafetensors(mix + "/width0.safetensors", [("embedding_left", [1, 71, 0], []), ("embedding_right", [1, 71, 0], []), ("unembedding", [1, 0, 71], [])])
        // Three 284 MiB matrices of zeros (71 × 2^20 float32) deflated 1000:1: a network whose
        // values are refused by the compression-ratio cap when the analysis reads them.
        var w = ZipWriter()
        let member = deflatedZeros(prefix: npyHeader(descr: "<f4", shape: [71, 1 << 20]), mebibytes: 284)
        for name in ["embed_a.npy", "embed_b.npy", "unembed.npy"] {
            w.deflated(name, member.bytes, crc: member.crc, size: member.size)
        }
        FileManager.default.createFile(atPath: mix + "/bomb.npz", contents: Data(w.bytes()))
        XCTAssertEqual(mkfifo(mix + "/fifo.pt", 0o600), 0)

        let out = dir.path("out")
        setenv("IRREPSCOPE_BATCH_WORKER_FAULTS", "trap.pt=trap,hang.pt=hang,alloc.pt=alloc", 1)
        defer { unsetenv("IRREPSCOPE_BATCH_WORKER_FAULTS") }
        // --timeout 10: long enough that the allocating worker reaches the memory limit first even
        // when the rest of the test suite loads both cores (seen once with 5 s: the worker, with
        // its 1 GB of page faults, timed out instead).
        let r = try runLimited(["batch", mix, "--group", "C71", "--out", out, "--quiet", "--timeout", "10", "--memory-limit", "1", "--jobs", "2"],
                               memoryMiB: 16384, timeout: 120)
        XCTAssertFalse(r.timedOut)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("irrepscope: \(good.count) checkpoints analyzed, 6 failed"), r.stderr)
        let records = try lines(out + "/results.jsonl").filter { !$0.isEmpty }
        XCTAssertEqual(records.count, good.count + 6)
        func error(_ name: String) -> String? {
            guard let l = records.first(where: { $0.contains("\"source\":\"\(mix)/\(name)\"") }),
                  let o = try? JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any] else { return nil }
            return o["error"] as? String
        }
        XCTAssertEqual(error("trap.pt"), "\(mix)/trap.pt: crashed: signal 4 (SIGILL, a trap)")
        XCTAssertEqual(error("hang.pt"), "\(mix)/hang.pt: timed out after 10 s")
        XCTAssertTrue(error("alloc.pt")?.hasPrefix("\(mix)/alloc.pt: exceeded 1 GB of memory") == true, error("alloc.pt") ?? "")
        XCTAssertTrue(error("width0.safetensors")?.contains("the network has width 0") == true, error("width0.safetensors") ?? "")
        XCTAssertTrue(error("bomb.npz")?.contains("a decompression bomb?") == true, error("bomb.npz") ?? "")
        XCTAssertEqual(error("fifo.pt"), "\(mix)/fifo.pt: is a FIFO (named pipe), not a regular file")
        // Each failure line names its file once.
        for l in r.stderr.split(separator: "\n") where l.hasPrefix("irrepscope: failed: ") {
            XCTAssertEqual(l.components(separatedBy: mix + "/").count, 2, String(l))
        }
        // The good records are exactly those of an in-process run over the good files alone.
        let alone = dir.path("alone")
        let g = try CLI.run(["batch", Self.run.path, "--group", "C71", "--out", alone, "--quiet", "--in-process"])
        XCTAssertEqual(g.status, 0, g.stderr)
        let expected = try lines(alone + "/results.jsonl").filter { !$0.isEmpty }
            .map { $0.replacingOccurrences(of: Self.run.path, with: mix) }
        XCTAssertEqual(records.filter { $0.contains("\"ok\":true") }, expected)
    }

    /// A results.jsonl cut mid-line by a killed run: --resume removes the partial line, redoes
    /// that checkpoint and leaves whole lines only.
    func testResumeRepairsAPartialLastLine() throws {
        let dir = ScratchDirectory()
        let out = dir.path("out")
        XCTAssertEqual(try CLI.run(["batch", Self.run.path, "--group", "C71", "--out", out, "--quiet"]).status, 0)
        let full = try lines(out + "/results.jsonl").filter { !$0.isEmpty }
        // Keep four lines and half of the fifth, as a kill during a write would.
        let torn = full[0..<4].joined(separator: "\n") + "\n" + String(full[4].prefix(full[4].count / 2))
        try torn.write(toFile: out + "/results.jsonl", atomically: false, encoding: .utf8)
        let r = try CLI.run(["batch", Self.run.path, "--group", "C71", "--out", out, "--quiet", "--resume"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("removed a partial last line"), r.stderr)
        XCTAssertTrue(r.stderr.contains("resuming: 4 of 6 checkpoints already done"), r.stderr)
        XCTAssertEqual(try lines(out + "/results.jsonl").filter { !$0.isEmpty }, full)
    }
}
