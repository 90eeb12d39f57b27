import Foundation
import XCTest
@testable import Checkpoints

/// Writing safe formats: names, dtypes and every byte survive a round trip.
final class ConvertTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("irrepscope-conv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func assertSame(_ a: [Tensor], _ b: [Tensor], _ what: String) {
        XCTAssertEqual(a.map(\.name), b.map(\.name), what)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.dtype, y.dtype, "\(what): \(x.name)")
            XCTAssertEqual(x.shape, y.shape, "\(what): \(x.name)")
            XCTAssertEqual(try x.contiguousLittleEndianBytes(), try y.contiguousLittleEndianBytes(), "\(what): \(x.name)")
        }
    }

    func testRoundTripThroughSafetensorsAndNPZ() throws {
        for f in FixtureTests.fileNames {
            let c = try CheckpointLoader.load(path: FixtureTests.fixture(f))
            let st = c.tensors.filter { SafetensorsFormat.code(for: $0.dtype) != nil }
            // safetensors lists tensors in data order, which is the order written.
            let out = tmp.appendingPathComponent(f + ".safetensors").path
            try CheckpointWriter.write(st, metadata: [("source", c.format)], to: out)
            let back = try CheckpointLoader.load(path: out)
            XCTAssertEqual(back.format, "safetensors")
            assertSame(st, back.tensors, "\(f) → safetensors")
            XCTAssertEqual(back.metadata.first?.value, .string(c.format))

            let np = c.tensors.filter { CheckpointWriter.npyDescr($0.dtype) != nil }
            let npz = tmp.appendingPathComponent(f + ".npz").path
            try CheckpointWriter.write(np, to: npz)
            assertSame(np, try CheckpointLoader.load(path: npz).tensors, "\(f) → npz")
        }
    }

    /// ZIP64 records (end record, locator, 0x0001 extras with 0xFFFFFFFF placeholders) as
    /// large archives carry them, written small.
    func testZip64Archive() throws {
        let c = try CheckpointLoader.load(path: FixtureTests.fixture("arrays.npz"))
        let out = tmp.appendingPathComponent("zip64.npz").path
        try CheckpointWriter.writeNPZ(c.tensors, to: out, forceZip64: true)
        let bytes = [UInt8](FileManager.default.contents(atPath: out)!)
        XCTAssertTrue(bytes.windowsOverlap([0x50, 0x4b, 0x06, 0x06]), "has a ZIP64 end record")
        let zip = try ZipArchive(ByteSource(path: out))
        XCTAssertEqual(zip.entries.count, 5)
        XCTAssertTrue(zip.entries.allSatisfy { $0.compressedSize < 0xFFFF_FFFF && $0.localHeaderOffset < 0xFFFF_FFFF })
        assertSame(c.tensors, try CheckpointLoader.load(path: out).tensors, "zip64")
    }

    func testNPYOfOneTensorAndRefusals() throws {
        let c = try CheckpointLoader.load(path: FixtureTests.fixture("views.pt"))
        let t = try c.tensor(named: "transposed")
        let out = tmp.appendingPathComponent("t.npy").path
        try CheckpointWriter.write([t], to: out)
        assertSame([t].map { var x = $0; x.name = "t"; return x }, try CheckpointLoader.load(path: out).tensors, "npy")
        XCTAssertThrowsError(try CheckpointWriter.write(c.tensors, to: tmp.appendingPathComponent("many.npy").path))
        let d = try CheckpointLoader.load(path: FixtureTests.fixture("dtypes.pt"))
        XCTAssertThrowsError(try CheckpointWriter.write([try d.tensor(named: "bfloat16")], to: tmp.appendingPathComponent("b.npy").path))
        XCTAssertThrowsError(try CheckpointWriter.write([try d.tensor(named: "complex128")], to: tmp.appendingPathComponent("c.safetensors").path))
    }

    func testUnknownTensorNameListsCloseMatches() throws {
        let c = try CheckpointLoader.load(path: FixtureTests.fixture("training.pt"))
        XCTAssertThrowsError(try c.tensor(named: "model.embed.weigth")) { e in
            XCTAssertTrue((e as! CheckpointError).message.contains("model.embed.weight"))
        }
    }
}

extension Array where Element == UInt8 {
    func windowsOverlap(_ needle: [UInt8]) -> Bool {
        guard count >= needle.count else { return false }
        for i in 0...(count - needle.count) where self[i] == needle[0] && Array(self[i..<(i + needle.count)]) == needle { return true }
        return false
    }
}
