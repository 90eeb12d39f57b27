import Foundation

/// Runs the built `irrepscope` binary (next to the test bundle) and captures its output.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String

    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }
}

enum CLI {
    static let binary: URL = {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test runner lives at .build/<triple>/<config>/IrrepScopePackageTests.xctest (a file
        // on Linux, a bundle directory elsewhere); the tool sits beside it.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("irrepscope")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        fatalError("irrepscope binary not found near \(exe.path)")
    }()

    static func run(_ args: [String], cwd: URL? = nil) throws -> CLIResult {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes concurrently so a large output cannot deadlock.
        nonisolated(unsafe) var errData = Data()
        let t = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
        t.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !t.isFinished { usleep(1000) }
        return CLIResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A scratch directory removed at the end of the test.
final class ScratchDirectory {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("irrepscope-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Writes a version 1.0 .npy file (little-endian) of the given descr and raw element bytes.
func writeNPY(_ path: String, descr: String, shape: [Int], fortran: Bool = false, data: [UInt8]) {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0,
                          UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
    bytes += Array(header.utf8) + data
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

func writeNPY(_ path: String, float32 values: [Float], shape: [Int]) {
    writeNPY(path, descr: "<f4", shape: shape, data: values.withUnsafeBytes { Array($0) })
}

/// Rows of pure cosines: neuron i has frequency freqs[i] and phase phases[i].
func cosineRows(p: Int, freqs: [Int], phases: [Double]) -> [Float] {
    var out: [Float] = []
    for (f, ph) in zip(freqs, phases) {
        for a in 0..<p { out.append(Float(cos(ph + 2 * Double.pi * Double(f * a % p) / Double(p)))) }
    }
    return out
}
