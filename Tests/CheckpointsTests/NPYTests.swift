import Foundation
import Testing
@testable import Checkpoints

/// Fixtures written by numpy (scripts/make_npy_fixtures.py) and the values numpy wrote.
enum NPYFixtures {
    static let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("npy")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name + ".npy").path }

    struct Expected: Decodable { let dtype: String; let shape: [Int]; let values: [Double] }
    struct File: Decodable { let arrays: [String: Expected] }

    static let expected: [String: Expected] = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("expected.json"))
        return try! JSONDecoder().decode(File.self, from: data).arrays
    }()
}

@Suite struct NPYReaderTests {
    @Test(arguments: NPYFixtures.expected.keys.sorted())
    func everyValueMatchesWhatNumpyWrote(name: String) throws {
        let exp = NPYFixtures.expected[name]!
        let ck = try CheckpointLoader.load(path: NPYFixtures.path(name))
        #expect(ck.format == "npy")
        #expect(ck.tensors.count == 1)
        let t = ck.tensors[0]
        #expect(t.name == name)
        #expect(t.dtype.rawValue == exp.dtype)
        #expect(t.shape == exp.shape)
        #expect(try t.doubleValues() == exp.values)
    }

    @Test func fortranOrderIsColumnMajorWithoutCopy() throws {
        let t = try CheckpointLoader.load(path: NPYFixtures.path("f4_fortran")).tensors[0]
        #expect(t.strides == [1, 6])
        let c = try CheckpointLoader.load(path: NPYFixtures.path("f4_c")).tensors[0]
        #expect(c.strides == [11, 1])
        #expect(try t.floatValues() == c.floatValues())
    }

    @Test func bigEndianIsSwapped() throws {
        let t = try CheckpointLoader.load(path: NPYFixtures.path("f4_big")).tensors[0]
        #expect(t.byteOrder == .big)
        #expect(!t.isNativeByteOrder)
        let le = try CheckpointLoader.load(path: NPYFixtures.path("f4_c")).tensors[0]
        #expect(try t.doubleValues() == le.doubleValues())
        #expect(try t.contiguousLittleEndianBytes() == le.contiguousLittleEndianBytes())
    }

    @Test(arguments: [
        ("object", "object arrays"),
        ("structured", "structured dtypes"),
        ("truncated", "truncated data"),
    ])
    func refusedWithAClearMessage(name: String, phrase: String) {
        do {
            _ = try CheckpointLoader.load(path: NPYFixtures.path(name))
            Issue.record("\(name) should have been refused")
        } catch let e as CheckpointError {
            #expect(e.path.hasSuffix(name + ".npy"))
            #expect(e.message.contains(phrase), "\(e.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func garbageHeadersAreErrorsNotCrashes() throws {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        let bad: [[UInt8]] = [
            magic,                                                   // too short
            magic + [1, 0, 200, 0] + Array("{'descr'".utf8),         // header longer than file
            magic + [9, 0, 2, 0] + Array("{}".utf8),                 // unknown version
            header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }"),
            header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"),
            header("{'descr': '<q9', 'fortran_order': False, 'shape': (1,), }"),
            header("{'descr': '<V2', 'fortran_order': False, 'shape': (1,), }"),
            header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"),   // no data
            header("{'descr': '<f4', 'fortran_order': False"),
            header(String(repeating: "(", count: 5000)),
        ]
        for bytes in bad {
            let src = ByteSource(bytes: bytes, path: "bad.npy")
            #expect(throws: CheckpointError.self) { try NPYFormat.read(src) }
        }
    }

    @Test func unknownTensorNameSuggestsCloseMatches() throws {
        let ck = try CheckpointLoader.load(path: NPYFixtures.path("f4_c"))
        do {
            _ = try ck.tensor(named: "f4-c")
            Issue.record("expected an error")
        } catch let e as CheckpointError {
            #expect(e.message.contains("closest: f4_c"))
        }
    }

    @Test func missingFileAndDirectoryAreErrors() {
        #expect(throws: CheckpointError.self) { try CheckpointLoader.load(path: "/nonexistent/file.npy") }
        #expect(throws: CheckpointError.self) { try CheckpointLoader.load(path: NSTemporaryDirectory()) }
    }

    @Test func halfAndSmallFloatDecodersAreExact() {
        #expect(ElementDecoder.half(0x3C00) == 1)
        #expect(ElementDecoder.half(0xC000) == -2)
        #expect(ElementDecoder.half(0x0001) == 0x1p-24)
        #expect(ElementDecoder.half(0x7BFF) == 65504)
        #expect(ElementDecoder.half(0x7C00) == .infinity)
        #expect(ElementDecoder.bfloat16(0x3F80) == 1)
        #expect(ElementDecoder.bfloat16(0xC0A0) == -5)
        // float8 e4m3fn: max 448, min subnormal 2^-9, 0x7F NaN.
        #expect(ElementDecoder.float8e4m3fn(0x7E) == 448)
        #expect(ElementDecoder.float8e4m3fn(0x01) == 0x1p-9)
        #expect(ElementDecoder.float8e4m3fn(0x7F).isNaN)
        #expect(ElementDecoder.float8e4m3fn(0x38) == 1)
        // float8 e5m2: max 57344, 0x7C infinity.
        #expect(ElementDecoder.float8e5m2(0x7B) == 57344)
        #expect(ElementDecoder.float8e5m2(0x7C) == .infinity)
        #expect(ElementDecoder.float8e5m2(0x3C) == 1)
    }

    /// A version 1.0 .npy header around `dict` (no data).
    func header(_ dict: String) -> [UInt8] {
        let body = Array(dict.utf8)
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(body.count & 0xff), UInt8(body.count >> 8)] + body
    }
}

@Suite struct TensorViewTests {
    @Test func outOfRangeViewsAreRejected() {
        let src = ByteSource(bytes: [UInt8](repeating: 0, count: 64), path: "mem")
        // 4 × 4 float32 fits exactly in 64 bytes; 4 × 5 does not.
        #expect(throws: Never.self) { try Tensor(name: "a", dtype: .float32, shape: [4, 4], source: src, storageStart: 0, storageLength: 64) }
        #expect(throws: CheckpointError.self) { try Tensor(name: "b", dtype: .float32, shape: [4, 5], source: src, storageStart: 0, storageLength: 64) }
        #expect(throws: CheckpointError.self) { try Tensor(name: "c", dtype: .float32, shape: [2], strides: [100], source: src, storageStart: 0, storageLength: 64) }
        #expect(throws: CheckpointError.self) { try Tensor(name: "d", dtype: .float32, shape: [1 << 40, 1 << 40], source: src, storageStart: 0, storageLength: 64) }
        #expect(throws: CheckpointError.self) { try Tensor(name: "e", dtype: .float32, shape: [2], source: src, storageStart: 60, storageLength: 8) }
    }

    @Test func transposedViewReadsInCOrder() throws {
        let vals: [Float] = [1, 2, 3, 4, 5, 6]  // 2 × 3
        let bytes = vals.withUnsafeBytes { Array($0) }
        let src = ByteSource(bytes: bytes, path: "mem")
        let t = try Tensor(name: "t", dtype: .float32, shape: [3, 2], strides: [1, 3], source: src, storageStart: 0, storageLength: 24)
        #expect(try t.floatValues() == [1, 4, 2, 5, 3, 6])
    }
}
