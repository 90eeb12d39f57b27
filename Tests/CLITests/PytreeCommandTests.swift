import Foundation
import XCTest

/// `inspect`, `convert` and `analyze` on files of JAX, NumPy and Keras users
/// (fixtures of scripts/make_pytree_fixtures.py and scripts/make_keras_fixtures.py).
final class PytreeCommandTests: XCTestCase {
    func fixture(_ n: String) -> String { CheckpointCommandTests.fixtures.appendingPathComponent(n).path }

    func testInspectAndConvertAJaxTrainState() throws {
        let r = try run(["inspect", fixture("pytrees/train_state.pickle"), "--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        XCTAssertEqual(json["format"] as? String, "pickle")
        let names = (json["tensors"] as! [[String: Any]]).map { $0["name"] as! String }
        XCTAssertEqual(names.first, "params.params.embed_a.embedding")
        XCTAssertTrue(names.contains("extra.bf16"))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("pytree-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let c = try run(["convert", fixture("pytrees/numpy_p4.pkl"), out])
        XCTAssertEqual(c.status, 0, c.err)
        let back = try run(["inspect", out])
        XCTAssertTrue(back.out.contains("params.dense.kernel"), back.out)
        XCTAssertTrue(back.out.contains("bfloat16"), back.out)
    }

    /// A Flax nn.Embed ×2 + nn.Dense model trained on C7 by optax (100% accuracy in the
    /// generator): found without flags, next to its Adam moments.
    func testAnalyzeFindsTheNetworkOfAJaxTrainer() throws {
        for f in ["pytrees/flax_params.pkl", "pytrees/train_state.pickle"] {
            let r = try run(["analyze", "--group", "C7", fixture(f)])
            XCTAssertEqual(r.status, 0, "\(f): \(r.err)")
            XCTAssertTrue(r.out.contains("u = params.") && r.out.contains("embed_a.embedding [7, 12]"), r.out)
            XCTAssertTrue(r.out.contains("out.kernel [12, 7]"), r.out)
            XCTAssertTrue(r.out.contains("accuracy 100.00%"), r.out)
        }
    }

    func testJoblibAndDamagedPicklesExitNonZero() throws {
        let r = try run(["inspect", fixture("pytrees/arrays.joblib")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("joblib") && r.err.contains("arrays.joblib"), r.err)
        XCTAssertEqual(r.out, "")
    }

    /// Keras files through the CLI.
    func testInspectConvertAndAnalyzeKerasFiles() throws {
        let t = self
        for f in ["keras/paper.keras", "keras/paper.weights.h5", "keras/paper.h5"] {
            let i = try t.run(["inspect", t.fixture(f), "--format", "json"])
            XCTAssertEqual(i.status, 0, "\(f): \(i.err)")
            let a = try t.run(["analyze", "--group", "C7", t.fixture(f)])
            XCTAssertEqual(a.status, 0, "\(f): \(a.err)")
            XCTAssertTrue(a.out.contains("u = embed_a."), a.out)
            XCTAssertTrue(a.out.contains("accuracy 100.00%"), a.out)
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("keras-\(getpid()).npz").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let c = try t.run(["convert", t.fixture("keras/mixed.keras"), out])
        XCTAssertEqual(c.status, 0, c.err)
        XCTAssertTrue(try t.run(["inspect", out]).out.contains("half.kernel"))
        let bad = try t.run(["inspect", t.fixture("keras/huge_declared.weights.h5")])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("huge_declared.weights.h5") && bad.err.contains("declares"), bad.err)
    }

    /// A file on which libhdf5 itself crashes (fuzz-KerasHDF5's find: a variable-length string
    /// attribute whose global-heap object claims 2⁴⁰ bytes; libhdf5 1.10.8 copies them and dies
    /// with SIGSEGV): read in a child process, so every command reports it and exits 1.
    func testAFileThatCrashesLibhdf5IsAnError() throws {
        let f = fixture("keras/crash_global_heap.weights.h5")
        for args in [["inspect", f], ["analyze", "--group", "C7", f], ["convert", f, NSTemporaryDirectory() + "never-\(getpid()).npz"]] {
            let r = try run(args)
            XCTAssertEqual(r.status, 1, "\(args[0]): \(r.err)")
            XCTAssertTrue(r.err.contains(f) && r.err.contains("libhdf5 crashed") && r.err.contains("SIGSEGV"), r.err)
            XCTAssertFalse(r.err.contains("Program crashed"), r.err)
            XCTAssertTrue(r.out.isEmpty, r.out)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "never-\(getpid()).npz"))
    }
}
