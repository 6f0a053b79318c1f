import Foundation
import XCTest
@testable import SeedModel

final class SafeTensorsTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("seed-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A file from a header string and raw data bytes, laid out by hand.
    private func file(header: String, data: [UInt8]) -> Data {
        var bytes = Data()
        let json = Data(header.utf8)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(json)
        bytes.append(contentsOf: data)
        return bytes
    }

    private func littleEndian(_ values: [UInt16]) -> [UInt8] {
        values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    }

    private func littleEndian(_ values: [Float]) -> [UInt8] {
        values.flatMap { v -> [UInt8] in let b = v.bitPattern; return (0..<4).map { UInt8((b >> (8 * $0)) & 0xFF) } }
    }

    private func assertError(_ data: Data, _ matches: (SafeTensorsError) -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors(data: data, path: "/m/model.safetensors"), file: file, line: line) { error in
            guard let e = error as? SafeTensorsError else { return XCTFail("unexpected \(error)", file: file, line: line) }
            XCTAssertTrue(matches(e), "unexpected \(e)", file: file, line: line)
            XCTAssertTrue(e.description.contains("/m/model.safetensors"), e.description, file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
        }
    }

    func testRoundTripKeepsValuesShapesAndMetadata() throws {
        let url = folder.appendingPathComponent("model.safetensors")
        let embedding = (0..<12).map { Float($0) * 0.5 - 3 }
        let norm: [Float] = [1, -0, .infinity, 1e-30]
        let scalar: [Float] = [42]
        let head = (0..<6).map { Float($0) / 7 }
        try head.withUnsafeBufferPointer { headBuffer in
            try SafeTensors.write([
                SafeTensorsItem(name: "model.embed_tokens.weight", shape: [3, 4], values: embedding),
                SafeTensorsItem(name: "lm_head.weight", shape: [2, 3], values: headBuffer),
                SafeTensorsItem(name: "model.norm.weight", shape: [4], values: norm),
                SafeTensorsItem(name: "scalar", shape: [], values: scalar),
                SafeTensorsItem(name: "empty", shape: [0, 5], values: []),
            ], metadata: ["format": "pt", "note": "a/b \"quoted\""], to: url)
        }
        let st = try SafeTensors(contentsOf: url)
        XCTAssertEqual(st.names, ["empty", "lm_head.weight", "model.embed_tokens.weight", "model.norm.weight", "scalar"])
        XCTAssertEqual(st.entries.map(\.name), st.names, "data follows the sorted header order")
        XCTAssertEqual(st.metadata, ["format": "pt", "note": "a/b \"quoted\""])
        XCTAssertEqual(try st.shape(of: "model.embed_tokens.weight"), [3, 4])
        XCTAssertEqual(try st.shape(of: "scalar"), [])
        XCTAssertEqual(try st.floats("model.embed_tokens.weight"), embedding)
        XCTAssertEqual(try st.floats("lm_head.weight"), head)
        XCTAssertEqual(try st.floats("model.norm.weight").map(\.bitPattern), norm.map(\.bitPattern))
        XCTAssertEqual(try st.floats("scalar"), [42])
        XCTAssertEqual(try st.floats("empty"), [])
        var out = [Float](repeating: 0, count: 6)
        try out.withUnsafeMutableBufferPointer { try st.copy("lm_head.weight", into: $0.baseAddress!, count: 6) }
        XCTAssertEqual(out, head)
        XCTAssertTrue(st.contains("scalar"))
        XCTAssertFalse(st.contains("nope"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertEqual(leftovers, ["model.safetensors"], "no temp file is left behind")
    }

    func testTinyFileMatchesHandComputedBytes() throws {
        let url = folder.appendingPathComponent("tiny.safetensors")
        try SafeTensors.write([SafeTensorsItem(name: "b", shape: [2], values: [1, -2]),
                               SafeTensorsItem(name: "a", shape: [1, 1], values: [0.5])], to: url)
        let header = #"{"a":{"data_offsets":[0,4],"dtype":"F32","shape":[1,1]},"b":{"data_offsets":[4,12],"dtype":"F32","shape":[2]}}"#
        let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        XCTAssertEqual(padded.utf8.count % 8, 0)
        let expected = file(header: padded, data: littleEndian([0.5, 1, -2] as [Float]))
        XCTAssertEqual([UInt8](try Data(contentsOf: url)), [UInt8](expected))
    }

    func testMetadataGoesInTheHeader() throws {
        let header = SafeTensors.headerBytes(for: [("x", [1])], metadata: ["format": "pt"])
        let text = String(decoding: header, as: UTF8.self)
        XCTAssertEqual(text.trimmingCharacters(in: .whitespaces),
                       #"{"__metadata__":{"format":"pt"},"x":{"data_offsets":[0,4],"dtype":"F32","shape":[1]}}"#)
        XCTAssertEqual(header.count % 8, 0)
    }

    func testReadsF16AndBF16() throws {
        let f16: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x7C00, 0x8000, 0x3555]
        let bf16: [UInt16] = [0x3F80, 0xC000, 0x4049, 0x0000]
        let header = #"{"h":{"dtype":"F16","shape":[2,4],"data_offsets":[0,16]},"# +
            #""b":{"dtype":"BF16","shape":[4],"data_offsets":[16,24]},"__metadata__":{"k":"v"}}"#
        let st = try SafeTensors(data: file(header: header, data: littleEndian(f16) + littleEndian(bf16)))
        let h = try st.floats("h")
        XCTAssertEqual(Array(h[0..<6]), [1, -2, 0.5, 65504, 0x1p-24, .infinity])
        XCTAssertEqual(h[6].bitPattern, (-0.0 as Float).bitPattern)
        XCTAssertEqual(h[7], 0.333251953125)
        XCTAssertEqual(try st.floats("b"), [1, -2, 3.140625, 0])
        XCTAssertEqual(st.metadata, ["k": "v"])
        var out = [Float](repeating: 0, count: 4)
        try out.withUnsafeMutableBufferPointer { try st.copy("b", into: $0.baseAddress!, count: 4) }
        XCTAssertEqual(out, [1, -2, 3.140625, 0])
    }

    func testEveryHalfPrecisionValueConvertsLikeTheHardware() {
        #if !(os(macOS) && arch(x86_64))
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = SafeTensors.halfToFloat(bits)
            XCTAssertTrue(expected.bitPattern == got.bitPattern || (expected.isNaN && got.isNaN), "\(bits)")
        }
        #else
        // Spot checks where Float16 is unavailable: the largest subnormal, the smallest normal, a NaN.
        XCTAssertEqual(SafeTensors.halfToFloat(0x03FF), 1023 * 0x1p-24)
        XCTAssertEqual(SafeTensors.halfToFloat(0x0400), 0x1p-14)
        XCTAssertTrue(SafeTensors.halfToFloat(0x7E00).isNaN)
        #endif
    }

    func testValidationErrors() {
        let ok = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let eight = [UInt8](repeating: 0, count: 8)
        XCTAssertNoThrow(try SafeTensors(data: file(header: ok, data: eight)))

        assertError(Data([1, 2, 3])) { if case .truncated = $0 { return true }; return false }
        assertError(file(header: ok, data: eight).prefix(20)) { if case .badHeaderLength = $0 { return true }; return false }
        var huge = file(header: ok, data: eight)
        huge.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        assertError(huge) { if case .badHeaderLength = $0 { return true }; return false }
        assertError(file(header: #"{"x": {"dtype": "F32""#, data: eight)) { if case .badHeader = $0 { return true }; return false }
        assertError(file(header: "[1, 2]", data: [])) { if case .badHeader = $0 { return true }; return false }
        assertError(file(header: ok, data: [0, 0, 0, 0])) {
            if case .badTensor(_, "x", let reason) = $0 { return reason.contains("ends at byte 8") }; return false
        }
        assertError(file(header: #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight)) {
            if case .badTensor(_, "x", let reason) = $0 { return reason.contains("shape") }; return false
        }
        assertError(file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: eight)) {
            if case .badTensor(_, "x", _) = $0 { return true }; return false
        }
        assertError(file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                         data: eight)) {
            if case .badTensor(_, "y", let reason) = $0 { return reason.contains("overlaps") }; return false
        }
        assertError(file(header: #"{"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight)) {
            if case .badTensor(_, "y", let reason) = $0 { return reason.contains("gap") }; return false
        }
        assertError(file(header: ok, data: eight + [0, 0, 0, 0, 0, 0, 0, 0])) { if case .badHeader = $0 { return true }; return false }
        assertError(file(header: #"{"x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: eight)) {
            if case .unsupportedDType(_, "x", "I64") = $0 { return true }; return false
        }
        assertError(file(header: #"{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: eight)) {
            if case .badTensor = $0 { return true }; return false
        }
        assertError(file(header: #"{"x":{"dtype":"F32","data_offsets":[0,8]}}"#, data: eight)) {
            if case .badTensor = $0 { return true }; return false
        }
        assertError(file(header: #"{"__metadata__":{"k":1}}"#, data: [])) { if case .badHeader = $0 { return true }; return false }
    }

    func testMissingTensorFileAndCountErrors() throws {
        let st = try SafeTensors(data: file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                                            data: [UInt8](repeating: 0, count: 8)), path: "w.safetensors")
        XCTAssertThrowsError(try st.floats("nope")) { XCTAssertEqual($0 as? SafeTensorsError, .missingTensor(path: "w.safetensors", name: "nope")) }
        var out = [Float](repeating: 0, count: 3)
        XCTAssertThrowsError(try out.withUnsafeMutableBufferPointer { try st.copy("x", into: $0.baseAddress!, count: 3) }) {
            XCTAssertEqual($0 as? SafeTensorsError, .countMismatch(path: "w.safetensors", name: "x", expected: 3, actual: 2))
        }
        let missing = folder.appendingPathComponent("absent.safetensors")
        XCTAssertThrowsError(try SafeTensors(contentsOf: missing)) { error in
            guard case .unreadable(let path, _)? = error as? SafeTensorsError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, missing.path)
        }
    }

    func testBadInputIsRefusedAndLeavesTheOldFile() throws {
        let url = folder.appendingPathComponent("model.safetensors")
        try SafeTensors.write([SafeTensorsItem(name: "x", shape: [1], values: [7])], to: url)
        let before = try Data(contentsOf: url)
        XCTAssertThrowsError(try SafeTensors.write([SafeTensorsItem(name: "x", shape: [2], values: [1])], to: url))
        XCTAssertThrowsError(try SafeTensors.write([SafeTensorsItem(name: "x", shape: [1], values: [1]),
                                                    SafeTensorsItem(name: "x", shape: [1], values: [2])], to: url))
        XCTAssertEqual(try Data(contentsOf: url), before)
        XCTAssertThrowsError(try SafeTensors.write([], to: folder.appendingPathComponent("no/such/dir/m.safetensors"))) { error in
            guard case .writeFailed? = error as? SafeTensorsError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.safetensors"])
    }

    /// The layout as an independent reader sees it: json + struct + numpy only.
    func testPythonReadsTheFile() throws {
        guard run(["python3", "-c", "import numpy"]) == 0 else { throw XCTSkip("python3 with numpy is not available") }
        let url = folder.appendingPathComponent("py.safetensors")
        let a = (0..<6).map { Float($0) * 1.25 - 2 }
        try SafeTensors.write([SafeTensorsItem(name: "z.weight", shape: [2, 3], values: a),
                               SafeTensorsItem(name: "a.bias", shape: [3], values: [0.1, 0.2, 0.3])],
                              metadata: ["format": "pt"], to: url)
        let script = """
        import json, struct, sys
        import numpy as np
        raw = open(sys.argv[1], 'rb').read()
        (n,) = struct.unpack('<Q', raw[:8])
        assert n % 8 == 0, n
        header = json.loads(raw[8:8 + n])
        assert header.pop('__metadata__') == {'format': 'pt'}
        data = raw[8 + n:]
        end = 0
        for name in sorted(header, key=lambda k: header[k]['data_offsets'][0]):
            info = header[name]
            b, e = info['data_offsets']
            assert b == end and info['dtype'] == 'F32', (name, info)
            end = e
            t = np.frombuffer(data[b:e], dtype='<f4').reshape(info['shape'])
            print(name, list(t.shape), ' '.join('%.6g' % x for x in t.ravel()))
        assert end == len(data)
        """
        let (status, output) = runCapturing(["python3", "-c", script, url.path])
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(output.split(separator: "\n"), ["a.bias [3] 0.1 0.2 0.3", "z.weight [2, 3] -2 -0.75 0.5 1.75 3 4.25"])
    }

    private func run(_ arguments: [String]) -> Int32 { runCapturing(arguments).0 }

    private func runCapturing(_ arguments: [String]) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
