// swift-tools-version:6.0
import PackageDescription

// Kernels decide everything here: `-Ounchecked` drops the overflow checks on index arithmetic that cost
// an order of magnitude in hot loops, and `-target-cpu native` lets the compiler emit the host's widest
// FMAs (AVX-512 on Zen 4/5). Without it SIMD16<Float>.addingProduct becomes a libm call per lane.
// The flags apply to debug builds as well, so that `swift test` runs the kernels at a usable speed.
let fastFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", "native", "-enforce-exclusivity=unchecked"]),
]

let package = Package(
    name: "Seed",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "seed", targets: ["seed"]),
        .library(name: "SeedTensor", targets: ["SeedTensor"]),
        .library(name: "SeedModel", targets: ["SeedModel"]),
        .library(name: "SeedTrain", targets: ["SeedTrain"]),
        .library(name: "SeedTokenizer", targets: ["SeedTokenizer"]),
        .library(name: "SeedPrivacy", targets: ["SeedPrivacy"]),
        .library(name: "SeedServe", targets: ["SeedServe"]),
        .library(name: "SeedTeacher", targets: ["SeedTeacher"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.60.0"),
    ],
    targets: [
        // A cache-prefetch hint, which Swift lacks: for the GEMM's output tiles and the vault's digest table.
        .target(name: "CSeedPrefetch"),
        // Half-float vector conversions, for KV caches kept in float16.
        .target(name: "CSeedHalf"),
        .target(name: "SeedTensor", dependencies: ["CSeedPrefetch", "CSeedHalf"], swiftSettings: fastFlags),
        .target(name: "SeedModel", dependencies: ["SeedTensor", "CSeedPrefetch", "CSeedHalf"], swiftSettings: fastFlags),
        .target(name: "SeedTokenizer", swiftSettings: fastFlags),
        .target(name: "SeedTrain", dependencies: ["SeedModel", "SeedTensor", "SeedTokenizer", "Yams"], swiftSettings: fastFlags),
        // SSE2 byte runs for SeedPrivacy's scanner (Swift's SIMD types have no movemask).
        .target(name: "CSeedScan"),
        // SHA-256 compression with the CPU's SHA extensions, for SeedPrivacy's vault digests.
        .target(name: "CSeedSHA256", cSettings: [.unsafeFlags(["-O3"])]),
        // The SQLite files that several processes share (vault, teacher store).
        .target(name: "SeedStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "SeedPrivacy",
            dependencies: [
                "CSeedSHA256",
                "CSeedPrefetch",
                "CSeedScan",
                "Yams",
                "SeedStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: fastFlags
        ),
        .target(
            name: "SeedServe",
            dependencies: ["SeedModel", "SeedTensor", "SeedTokenizer", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: fastFlags
        ),
        .target(
            name: "SeedTeacher",
            dependencies: [
                "Yams", "SeedPrivacy", "SeedStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: fastFlags
        ),
        // An OpenAI-compatible stub with injected faults: the tests drive SeedTeacher against it and
        // `seed bench teacher` measures the client's own overhead on loopback.
        .target(
            name: "SeedTeacherStub",
            dependencies: [
                "SeedTeacher",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: fastFlags
        ),
        .executableTarget(
            name: "seed",
            dependencies: [
                "SeedTensor", "SeedModel", "SeedTrain", "SeedTokenizer", "SeedPrivacy", "SeedServe", "SeedTeacher", "SeedTeacherStub",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/sample")],
            swiftSettings: fastFlags
        ),
        .testTarget(name: "SeedTensorTests", dependencies: ["SeedTensor"], swiftSettings: fastFlags),
        .testTarget(name: "SeedModelTests", dependencies: ["SeedModel", "SeedTensor"], swiftSettings: fastFlags),
        .testTarget(name: "SeedTrainTests", dependencies: ["SeedTrain", "SeedModel", "SeedTensor", "SeedTokenizer"], swiftSettings: fastFlags),
        .testTarget(name: "SeedTokenizerTests", dependencies: ["SeedTokenizer"], exclude: ["Python"], swiftSettings: fastFlags),
        .testTarget(
            name: "SeedPrivacyTests",
            dependencies: ["SeedPrivacy", "CSeedSHA256", "CSeedScan", .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: fastFlags
        ),
        .testTarget(
            name: "SeedServeTests",
            dependencies: ["SeedServe", "SeedModel", "SeedTokenizer", .product(name: "HummingbirdTesting", package: "hummingbird")],
            exclude: ["Python"],
            swiftSettings: fastFlags
        ),
        .testTarget(
            name: "SeedTeacherTests",
            dependencies: ["SeedTeacher", "SeedTeacherStub", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: fastFlags
        ),
        .testTarget(name: "SeedCLITests", dependencies: ["seed", "SeedTeacherStub"], exclude: ["Python"]),
    ],
    swiftLanguageModes: [.v5]
)
