import Foundation
import SeedTensor

/// numpy's matmul (OpenBLAS) on the same shapes, run as a child process so that both figures come from the
/// same run on the same machine. OpenBLAS picks its kernels by CPU type when it loads; on some CPUs it falls
/// back to AVX2 kernels, so a second run with `OPENBLAS_CORETYPE=SkylakeX` measures its AVX-512 kernels too.
public enum NumpyReference {
    /// GFLOP/s per shape, or nil when python3 with numpy is not on the machine.
    public static func measure(_ shapes: [GemmShape], seconds: Double = 0.5, coreType: String? = nil) -> [Double]? {
        let spec = shapes.map { "(\($0.m),\($0.n),\($0.k),\($0.transA ? "True" : "False"),\($0.transB ? "True" : "False"))" }
        let script = """
        import sys, time
        try:
            import numpy as np
        except Exception:
            sys.exit(3)
        def bench(m, n, k, ta, tb):
            rng = np.random.default_rng(0)
            a = rng.random((k, m) if ta else (m, k), dtype=np.float32)
            b = rng.random((n, k) if tb else (k, n), dtype=np.float32)
            A = a.T if ta else a
            B = b.T if tb else b
            c = np.matmul(A, B)
            best, start = 1e9, time.perf_counter()
            while time.perf_counter() - start < \(seconds):
                t = time.perf_counter(); np.matmul(A, B, out=c); best = min(best, time.perf_counter() - t)
            return 2.0 * m * n * k / best / 1e9
        for s in [\(spec.joined(separator: ", "))]:
            print(bench(*s), flush=True)
        """
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "OPENBLAS_CORETYPE")
        environment.removeValue(forKey: "OPENBLAS_L2_SIZE")
        if let coreType { environment["OPENBLAS_CORETYPE"] = coreType }
        guard let output = runPython(script, environment: environment) else { return nil }
        let values = output.split(separator: "\n").compactMap { Double($0) }
        return values.count == shapes.count ? values : nil
    }

    /// The standard output of `python3 -c script arguments...`, or nil when it cannot run or fails.
    static func runPython(_ script: String, arguments: [String] = [],
                          environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
