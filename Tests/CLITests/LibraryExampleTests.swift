import Foundation
import XCTest

/// examples/LibraryExample analyzes data/c71-quadratic-final.pt through the Analysis module and
/// prints what `irrepscope analyze` prints for it.
final class LibraryExampleTests: XCTestCase {
    func testTheExamplePrintsTheAnalysisOfTheTrainedNetwork() throws {
        let example = CLI.binary.deletingLastPathComponent().appendingPathComponent("library-example")
        guard FileManager.default.isExecutableFile(atPath: example.path) else {
            return XCTFail("library-example not built next to \(CLI.binary.path)")
        }
        let p = Process()
        p.executableURL = example
        p.currentDirectoryURL = RecordedOutputTests.root
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let r = try CLI.run(["analyze", "data/c71-quadratic-final.pt", "--group", "C71", "--format", "json"], cwd: RecordedOutputTests.root)
        let summary = try XCTUnwrap(r.json?["summary"] as? [String: Any])
        let margin = try XCTUnwrap(summary["margin"] as? [String: Any])
        XCTAssert(text.contains("accuracy \(String(format: "%.2f", (summary["accuracy"] as! Double) * 100))% on all 5041 pairs"), text)
        XCTAssert(text.contains("normalized margin \(String(format: "%.6g", margin["normalized"] as! Double))"), text)
        XCTAssert(text.contains("margin / γ* = \(String(format: "%.4f", margin["ratio"] as! Double))"), text)
        XCTAssert(text.contains("components used: \((summary["components_used"] as! [Any]).count) of 35 frequencies"), text)
    }
}

/// What `make install` puts next to the binary: completions for every shell, the version line.
final class InstallPiecesTests: XCTestCase {
    func testCompletionScriptsNameEverySubcommandAndTheVersionNamesTheLibraries() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try CLI.run(["--generate-completion-script", shell])
            XCTAssertEqual(r.status, 0, r.stderr)
            for sub in ["analyze", "batch", "spectrum", "decompose", "characters", "irreps", "inspect", "merge"] {
                XCTAssert(r.stdout.contains(sub), "\(shell) completion lacks \(sub)")
            }
        }
        let v = try CLI.run(["--version"])
        XCTAssertEqual(v.status, 0)
        XCTAssert(v.stdout.hasPrefix("0.1.0 (fftw-3."), v.stdout)
        XCTAssert(v.stdout.contains("OpenBLAS"), v.stdout)
    }
}

/// A Git LFS pointer left where a checkpoint was not fetched is named as such, in every
/// command and in batch, whose failure line names the file once.
final class LFSPointerTests: XCTestCase {
    func testAPointerIsNamedAndBatchNamesTheFileOnce() throws {
        let dir = ScratchDirectory()
        let run = dir.path("run")
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let pointer = run + "/epoch_1.pt"
        try Data("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 4312345\n".utf8)
            .write(to: URL(fileURLWithPath: pointer))
        for args in [["inspect", pointer], ["analyze", pointer, "--group", "C5"], ["spectrum", pointer]] {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 1)
            XCTAssertEqual(r.stdout, "")
            XCTAssert(r.stderr.contains("\(pointer): a Git LFS pointer (") && r.stderr.contains("git lfs pull"), r.stderr)
        }
        let b = try CLI.run(["batch", run, "--group", "C5", "--out", dir.path("out"), "--quiet"])
        XCTAssertEqual(b.status, 1)
        XCTAssert(b.stderr.contains("irrepscope: failed: \(pointer): a Git LFS pointer"), b.stderr)
        XCTAssertFalse(b.stderr.contains("\(pointer): \(pointer)"), b.stderr)
    }
}

/// A transformer's embedding has |G| + 1 rows (the `=` token): `spectrum --p` and `decompose
/// --group` take the first |G| and say so.
final class ExtraTokenRowsTests: XCTestCase {
    func testTheFirstGroupRowsAreTakenAndTheNoteSaysSo() throws {
        let dir = ScratchDirectory()
        let p = 11, freqs = [2, 3, 5]
        var values: [Float] = []
        for a in 0...p { for k in freqs { values.append(a == p ? 7 : Float(cos(2 * Double.pi * Double(k * a) / Double(p)))) } }
        writeNPY(dir.path("we.npy"), float32: values, shape: [p + 1, freqs.count])
        let r = try CLI.run(["spectrum", dir.path("we.npy"), "--p", "11", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let neurons = try XCTUnwrap(r.json?["neurons"] as? [[String: Any]])
        XCTAssertEqual(neurons.map { $0["dominant_frequency"] as? Int }, freqs)
        for n in neurons { XCTAssertEqual(n["max_normalized_power"] as! Double, 1, accuracy: 1e-12) }
        XCTAssert(r.stderr.contains("taking the first 11 of its 12 entries along axis 0"), r.stderr)
        let d = try CLI.run(["decompose", dir.path("we.npy"), "--group", "C11", "--format", "json"])
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertEqual((d.json?["neurons"] as? [[String: Any]])?.map { $0["dominant_irrep"] as? String }, ["k2", "k3", "k5"])
        // Without --p the rule is unchanged: the axis of prime length (3) is taken as p.
        let plain = try CLI.run(["spectrum", dir.path("we.npy"), "--format", "json"])
        XCTAssertEqual(plain.status, 0)
        XCTAssertEqual(plain.json?["p"] as? Int, 3)
    }
}

/// A network of width 0 (issue 15's hostile-file battery: embeddings [1, 7, 0], unembedding
/// [1, 0, 7]) is a clear error, not a trap.
final class ZeroWidthTests: XCTestCase {
    func testAWidthZeroNetworkIsAnError() throws {
        let dir = ScratchDirectory()
        let path = dir.path("w0.safetensors")
        writeSafetensors(path, [("embedding_left", [1, 7, 0], []), ("embedding_right", [1, 7, 0], []), ("unembedding", [1, 0, 7], [])])
        let r = try CLI.run(["analyze", path, "--group", "C7"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssert(r.stderr.contains("the network has width 0"), r.stderr)
        XCTAssertFalse(r.stderr.contains("crashed"), r.stderr)
    }
}

/// A stride-0 tensor of 7 × 2^33 float32 over 4 bytes (written by torch,
/// scripts/make_checkpoint_fixtures.py) is refused before anything is allocated, and convert
/// leaves no output file.
final class BroadcastTensorTests: XCTestCase {
    func testAHugeBroadcastViewIsRefusedWithAMessage() throws {
        let fixture = RecordedOutputTests.root.appendingPathComponent("Tests/CheckpointsTests/Fixtures/broadcast.pt").path
        let dir = ScratchDirectory()
        for args in [["convert", fixture, dir.path("out.safetensors")], ["spectrum", fixture, "--tensor", "w", "--p", "7"],
                     ["histogram", fixture, "--tensor", "w", "--p", "7"], ["analyze", fixture, "--group", "C7"]] {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "")
            XCTAssert(r.stderr.contains("once materialized, above the limit") || r.stderr.contains("could not find the network"), "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("crashed"), r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("out.safetensors")))
    }
}
