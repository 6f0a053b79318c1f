import ArgumentParser
import Foundation
import SeedPrivacy

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put the originals back into answers that contain surrogates from `seed desensitize`.",
        discussion: """
            Surrogates a model reformatted slightly are restored too: other case (<email_17>), `-` or a space \
            for `_` inside brackets, a lost `<` or `>`, other brackets («EMAIL_17», [EMAIL_17], &lt;EMAIL_17&gt;). \
            Realistic surrogates (--realistic) are restored where they appear exactly. Surrogates the vault does \
            not know are left as they are and counted in --report.
            """)

    @OptionGroup var stream: PrivacyStreamOptions
    @Option(help: "The vault `seed desensitize` wrote.") var vault: String
    @Option(help: "The policy used to desensitize, for the types of its custom recognizers.") var policy: String?

    func run() throws {
        try reportingErrors {
            let types = try policy.map { try PrivacyPolicy.load(path: $0).knownTypes } ?? EntityType.builtIn
            guard FileManager.default.fileExists(atPath: vault) else {
                throw PrivacyError.vaultUnreadable(path: vault, reason: "no such file (restore needs the vault that desensitize wrote)")
            }
            let key = try VaultKey.load(keyFile: stream.keyFile)
            let store = try Vault(path: vault, key: key, restoreOnly: true)
            let progress = StreamProgress()
            let summary = try PrivacyStream.restore(stream.files, vault: store, types: types, options: try stream.streamOptions(),
                                                    progress: progress.report)
            progress.finish()
            try stream.finish(summary, verb: "restored", command: "restore")
        }
    }
}
