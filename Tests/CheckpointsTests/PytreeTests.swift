import Foundation
import XCTest
@testable import Checkpoints

/// Pickled pytrees written by numpy, jax, flax and optax (scripts/make_pytree_fixtures.py):
/// every array compared with the bytes and values the library held.
final class PytreeTests: XCTestCase {
    static let dir = FixtureTests.fixtures.appendingPathComponent("pytrees")
    nonisolated(unsafe) static let expected: [String: Any] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()
    static func fixture(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func testEveryPytreeMatchesWhatTheLibraryHeld() throws {
        XCTAssertEqual(Self.expected.count, 6)
        for name in Self.expected.keys.sorted() {
            XCTAssertTrue(CheckpointLoader.recognizes(path: Self.fixture(name)), name)
            let c = try CheckpointLoader.load(path: Self.fixture(name))
            FixtureTests.compare(c, with: Self.expected[name] as! [String: Any], file: name)
        }
    }

    func testLayoutsSeenInTheFiles() throws {
        // Protocol 2 (`_codecs.encode` bytes), 4 (`_reconstruct` + BUILD), 5 (`_frombuffer`).
        for p in ["numpy_p2.pkl", "numpy_p4.pkl", "numpy_p5.pkl"] {
            let c = try CheckpointLoader.load(path: Self.fixture(p))
            let k = try c.tensor(named: "params.dense.kernel")
            XCTAssertEqual(k.strides, [1, 3], "\(p): Fortran order kept as strides")
            XCTAssertEqual(try c.tensor(named: "big_endian").byteOrder, .big, p)
            XCTAssertEqual(try c.tensor(named: "big_endian").doubleValues(), [0, 0.25, 0.5, 0.75, 1, 1.25], p)
            XCTAssertEqual(try c.tensor(named: "bf16").dtype, .bfloat16, p)
            XCTAssertEqual(try c.tensor(named: "bf16").doubleValues(), [1, -2.5, 3.140625, 0, 100, -7], p)
            XCTAssertEqual(try c.tensor(named: "f8").doubleValues(), [0, 1, -2.5, 448], p)
            XCTAssertEqual(try c.tensor(named: "zero_d").shape, [], p)
            XCTAssertTrue(c.metadata.contains { $0.key == "lr" && $0.value == .double(0.25) }, p)
        }
        let jax = try CheckpointLoader.load(path: Self.fixture("train_state.pickle"))
        XCTAssertEqual(jax.format, "pickle")
        XCTAssertEqual(try jax.tensor(named: "params.params.embed_a.embedding").shape, [7, 12])
        XCTAssertEqual(try jax.tensor(named: "params.params.out.kernel").shape, [12, 7])
        XCTAssertEqual(try jax.tensor(named: "extra.frozen.w").dtype, .float16, "FrozenDict is transparent")
        XCTAssertEqual(jax.opaque.first?.global, "optax._src.transform.ScaleByAdamState")
    }

    /// The os.system call is kept as an opaque node and never made.
    func testHostilePytreeIsNeverExecuted() throws {
        let marker = "/tmp/irrepscope-pytree-pwned"
        try? FileManager.default.removeItem(atPath: marker)
        let c = try CheckpointLoader.load(path: Self.fixture("hostile_pytree.pkl"))
        XCTAssertEqual(c.opaque.map(\.global), ["posix.system"])
        XCTAssertEqual(try c.tensor(named: "params.w").doubleValues(), [1, 2])
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func testJoblibDumpIsRefusedWithAnExplanation() throws {
        XCTAssertThrowsError(try CheckpointLoader.load(path: Self.fixture("arrays.joblib"))) { e in
            let m = (e as! CheckpointError).message
            XCTAssertTrue(m.contains("joblib"), m)
            XCTAssertTrue(m.contains("pickle.dump"), m)
        }
    }

    /// Truncations and forged lengths of a real pytree fail with a CheckpointError naming the file.
    func testDamagedPytreesFailCleanly() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixture("numpy_p4.pkl"))))
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("pytree-\(getpid())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        for cut in stride(from: 3, to: bytes.count - 1, by: 97) {
            let p = tmp.appendingPathComponent("cut\(cut).pkl").path
            FileManager.default.createFile(atPath: p, contents: Data(bytes[..<cut]))
            XCTAssertThrowsError(try CheckpointLoader.load(path: p)) { e in
                XCTAssertEqual((e as? CheckpointError)?.path, p)
            }
        }
        // A shape that claims more elements than the bytes hold.
        let wrong = try Self.ndarrayState(shape: [1 << 40, 1 << 40], bytes: 8)
        let r = PickleTreeReader(path: "forged", rootName: "r") { _ in throw CheckpointError(path: "", "") }
        XCTAssertThrowsError(try r.ndarrayFromState(wrong, key: "w")) { e in
            XCTAssertTrue((e as! CheckpointError).message.contains("absurd numpy shape") ||
                          (e as! CheckpointError).message.contains("needs"), "\(e)")
        }
    }

    /// `(1, shape, dtype('<f4'), False, bytes)` as NumPy's `__reduce__` writes it.
    static func ndarrayState(shape: [Int], bytes: Int) throws -> PickleObject {
        let dtype = PickleObject(.call(callee: PickleObject(.global(module: "numpy", name: "dtype")),
                                       args: PickleObject(.tuple, items: [PickleObject(.string("f4"))])))
        let shapeTuple = PickleObject(.tuple, items: shape.map { PickleObject(.int(Int64($0))) })
        return PickleObject(.tuple, items: [PickleObject(.int(1)), shapeTuple, dtype, PickleObject(.bool(false)),
                                            PickleObject(.bytes([UInt8](repeating: 0, count: bytes)))])
    }
}
