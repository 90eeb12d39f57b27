import Foundation
import XCTest
@testable import Checkpoints

/// Keras 3 `.keras`, `.weights.h5` and legacy `.h5` files written by keras 3.15
/// (scripts/make_keras_fixtures.py): every variable compared with what Keras held.
final class KerasTests: XCTestCase {
    static let dir = FixtureTests.fixtures.appendingPathComponent("keras")
    nonisolated(unsafe) static let expected: [String: Any] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()
    static func fixture(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func testEveryKerasFileMatchesWhatKerasHeld() throws {
        XCTAssertEqual(Self.expected.count, 6)
        for name in Self.expected.keys.sorted() {
            XCTAssertTrue(CheckpointLoader.recognizes(path: Self.fixture(name)), name)
            let c = try CheckpointLoader.load(path: Self.fixture(name))
            FixtureTests.compare(c, with: Self.expected[name] as! [String: Any], file: name)
        }
    }

    func testNamesAndConfigMetadata() throws {
        let k = try CheckpointLoader.load(path: Self.fixture("paper.keras"))
        XCTAssertEqual(Set(k.tensors.map(\.name).filter { !$0.hasPrefix("optimizer.") }), ["embed_a.embeddings", "embed_b.embeddings", "out.kernel"])
        XCTAssertEqual(try k.tensor(named: "optimizer.0").dtype, .int32, "Adam iteration count (int32 on the jax backend)")
        XCTAssertTrue(k.metadata.contains { $0.key == "config.out.class_name" && $0.value == .string("Dense") })
        XCTAssertTrue(k.metadata.contains { $0.key == "config.out.use_bias" && $0.value == .bool(false) })
        XCTAssertTrue(k.metadata.contains { $0.key == "config.out.units" && $0.value == .int(7) })
        XCTAssertTrue(k.metadata.contains { $0.key == "keras_version" && $0.value == .string("3.15.1") })
        // Without a config the variable index stays.
        let w = try CheckpointLoader.load(path: Self.fixture("paper.weights.h5"))
        XCTAssertEqual(Set(w.tensors.map(\.name).filter { !$0.hasPrefix("optimizer.") }), ["embed_a.0", "embed_b.0", "out.0"])
        let mixed = try CheckpointLoader.load(path: Self.fixture("mixed.keras"))
        XCTAssertEqual(try mixed.tensor(named: "half.kernel").dtype, .float16)
        XCTAssertEqual(try mixed.tensor(named: "bn.moving_variance").shape, [5])
        XCTAssertEqual(try mixed.tensor(named: "norm.gamma").shape, [5])
    }

    /// Declared sizes are checked before reading: nothing near 4 TiB is allocated.
    func testHostileHDF5FilesFailCleanly() throws {
        let cases = ["huge_declared.weights.h5": "declares", "huge_chunked.weights.h5": "declares",
                     "bad_weight_names.h5": "not a dataset of the file",
                     // A hard link back up the group tree (the fuzzer's find, fuzz-KerasHDF5: a
                     // link to its own group; the walk took 13 s before it was refused).
                     "cycle.weights.h5": "a cycle"]
        for (f, needle) in cases {
            XCTAssertThrowsError(try CheckpointLoader.load(path: Self.fixture(f)), f) { e in
                let c = e as! CheckpointError
                XCTAssertEqual(c.path, Self.fixture(f))
                XCTAssertTrue(c.message.contains(needle), c.message)
            }
        }
    }

    /// Truncated copies of real files (HDF5 and the .keras zip) end in one CheckpointError.
    func testTruncatedKerasFilesFailCleanly() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("keras-\(getpid())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        for name in ["paper.weights.h5", "paper.h5", "paper.keras"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.fixture(name)))
            for cut in [16, 600, 2100, bytes.count / 2, bytes.count - 100] {
                let p = tmp.appendingPathComponent("cut\(cut)-\(name)").path
                FileManager.default.createFile(atPath: p, contents: bytes.prefix(cut))
                XCTAssertThrowsError(try CheckpointLoader.load(path: p), "\(name) cut at \(cut)") { e in
                    XCTAssertEqual((e as? CheckpointError)?.path, p, "\(e)")
                }
            }
        }
    }
}
