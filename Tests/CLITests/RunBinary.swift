import Foundation
import XCTest

extension XCTestCase {
    /// Runs the irrepscope binary built next to this test bundle.
    func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var bin = dir.appendingPathComponent("irrepscope")
        if !FileManager.default.fileExists(atPath: bin.path) {
            bin = dir.deletingLastPathComponent().appendingPathComponent("irrepscope")
        }
        try XCTSkipUnless(FileManager.default.fileExists(atPath: bin.path), "irrepscope binary not found next to the tests")
        let p = Process()
        p.executableURL = bin
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}
