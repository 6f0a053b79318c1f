import Foundation
import XCTest
import SeedModel

final class LlamaConfigTests: XCTestCase {
    /// TinyLlama-1.1B-Chat-v1.0's config.json as transformers wrote it.
    let tinyLlama = """
    {
      "architectures": [
        "LlamaForCausalLM"
      ],
      "attention_bias": false,
      "bos_token_id": 1,
      "eos_token_id": 2,
      "hidden_act": "silu",
      "hidden_size": 2048,
      "initializer_range": 0.02,
      "intermediate_size": 5632,
      "max_position_embeddings": 2048,
      "model_type": "llama",
      "num_attention_heads": 32,
      "num_hidden_layers": 22,
      "num_key_value_heads": 4,
      "pretraining_tp": 1,
      "rms_norm_eps": 1e-05,
      "rope_scaling": null,
      "rope_theta": 10000.0,
      "tie_word_embeddings": false,
      "torch_dtype": "bfloat16",
      "transformers_version": "4.35.0",
      "use_cache": true,
      "vocab_size": 32000
    }
    """

    let small = LlamaConfig(vocabSize: 256, dim: 64, layers: 2, heads: 4, kvHeads: 2, hidden: 160, context: 128,
                            normEps: 1e-6, ropeTheta: 500000, tieEmbeddings: true, bosTokenId: 1, eosTokenId: 2)

    func testParsesTransformersConfig() throws {
        let c = try LlamaConfig(hfConfigJSON: Data(tinyLlama.utf8))
        XCTAssertEqual(c, LlamaConfig(vocabSize: 32000, dim: 2048, layers: 22, heads: 32, kvHeads: 4, hidden: 5632,
                                      context: 2048, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: false,
                                      bosTokenId: 1, eosTokenId: 2))
        XCTAssertEqual(c.headDim, 64)
        XCTAssertNoThrow(try c.validate())
        XCTAssertEqual(c.parameterCount, 1_100_048_384, "TinyLlama's published size")
    }

    func testHFJSONRoundTrip() throws {
        let data = small.hfConfigJSON()
        XCTAssertEqual(try LlamaConfig(hfConfigJSON: data), small)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["architectures"] as? [String], ["LlamaForCausalLM"])
        XCTAssertEqual(object["model_type"] as? String, "llama")
        XCTAssertEqual(object["hidden_act"] as? String, "silu")
        XCTAssertEqual(object["torch_dtype"] as? String, "float32")
        XCTAssertEqual(object["head_dim"] as? Int, 16)
        XCTAssertEqual(object["num_key_value_heads"] as? Int, 2)
        XCTAssertEqual(object["intermediate_size"] as? Int, 160)
        XCTAssertEqual(object["tie_word_embeddings"] as? Bool, true)
        XCTAssertEqual(object["attention_bias"] as? Bool, false)
        XCTAssertEqual(object["mlp_bias"] as? Bool, false)
        XCTAssertEqual(object["rope_theta"] as? Double, 500000)
        XCTAssertEqual(object["rms_norm_eps"] as? Double, 1e-6)
        XCTAssertEqual(object["bos_token_id"] as? Int, 1)
        XCTAssertEqual(Set(object.keys).count, 19)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\n"), "pretty-printed")
        XCTAssertLessThan(try XCTUnwrap(text.range(of: "\"architectures\"")).lowerBound,
                          try XCTUnwrap(text.range(of: "\"vocab_size\"")).lowerBound, "sorted keys")
        XCTAssertEqual(data, small.hfConfigJSON(), "deterministic")

        var untied = small
        untied.bosTokenId = nil
        untied.eosTokenId = nil
        let plain = try XCTUnwrap(try JSONSerialization.jsonObject(with: untied.hfConfigJSON()) as? [String: Any])
        XCTAssertNil(plain["bos_token_id"])
        XCTAssertEqual(try LlamaConfig(hfConfigJSON: untied.hfConfigJSON()), untied)
    }

    func testCodableRoundTrip() throws {
        let data = try JSONEncoder().encode(small)
        XCTAssertEqual(try JSONDecoder().decode(LlamaConfig.self, from: data), small)
    }

    func testReadingRejectsWhatSeedCannotRun() {
        func config(_ edit: (inout [String: Any]) -> Void) -> Data {
            var object = try! JSONSerialization.jsonObject(with: Data(tinyLlama.utf8)) as! [String: Any]
            edit(&object)
            return try! JSONSerialization.data(withJSONObject: object)
        }
        XCTAssertThrowsError(try LlamaConfig(hfConfigJSON: config { $0["head_dim"] = 128 })) {
            XCTAssertTrue("\($0)".contains("head_dim 128"), "\($0)")
        }
        XCTAssertNoThrow(try LlamaConfig(hfConfigJSON: config { $0["head_dim"] = 64 }))
        XCTAssertThrowsError(try LlamaConfig(hfConfigJSON: config { $0["model_type"] = "mistral"; $0["architectures"] = ["MistralForCausalLM"] })) {
            XCTAssertTrue("\($0)".contains("mistral"), "\($0)")
        }
        XCTAssertNoThrow(try LlamaConfig(hfConfigJSON: config { $0["model_type"] = nil }))
        XCTAssertThrowsError(try LlamaConfig(hfConfigJSON: config { $0["hidden_size"] = nil })) {
            XCTAssertTrue("\($0)".contains("hidden_size"), "\($0)")
        }
        XCTAssertThrowsError(try LlamaConfig(hfConfigJSON: config { $0["vocab_size"] = "many" })) {
            XCTAssertTrue("\($0)".contains("vocab_size"), "\($0)")
        }
        XCTAssertThrowsError(try LlamaConfig(hfConfigJSON: Data("not json".utf8)))
        let llama3 = try? LlamaConfig(hfConfigJSON: config { $0["eos_token_id"] = [7, 8, 9]; $0["num_key_value_heads"] = nil })
        XCTAssertEqual(llama3?.eosTokenId, 7)
        XCTAssertEqual(llama3?.kvHeads, 32, "a config without num_key_value_heads is plain multi-head attention")
    }

    func testValidation() {
        XCTAssertNoThrow(try small.validate())
        func message(_ edit: (inout LlamaConfig) -> Void) -> String {
            var c = small
            edit(&c)
            do { try c.validate(); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { $0.heads = 3 }.contains("divisible by heads"))
        XCTAssertTrue(message { $0.kvHeads = 3 }.contains("divisible by kv heads"))
        XCTAssertTrue(message { $0.dim = 36; $0.heads = 4; $0.kvHeads = 4 }.contains("even"))
        XCTAssertTrue(message { $0.layers = 0 }.contains("layers must be positive"))
        XCTAssertTrue(message { $0.vocabSize = -1 }.contains("vocab size must be positive"))
        XCTAssertTrue(message { $0.eosTokenId = 256 }.contains("outside the vocabulary"))
        XCTAssertTrue(message { $0.normEps = 0 }.contains("rms_norm_eps"))
    }

    func testParameterCountCountsTheHeadOnlyWhenUntied() {
        let perLayer = 2 * 64 + 64 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 160
        XCTAssertEqual(small.parameterCount, 256 * 64 + 2 * perLayer + 64)
        var untied = small
        untied.tieEmbeddings = false
        XCTAssertEqual(untied.parameterCount, small.parameterCount + 256 * 64)
    }

    func testGenerationConfigRoundTripAndTransformersFile() throws {
        let g = GenerationConfig(doSample: true, temperature: 0.8, topK: 40, topP: 0.95, maxNewTokens: 200, bosTokenId: 1, eosTokenId: 2)
        XCTAssertEqual(try GenerationConfig(jsonData: g.jsonData()), g)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: g.jsonData()) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["do_sample", "temperature", "top_k", "top_p", "max_new_tokens", "bos_token_id", "eos_token_id"])
        XCTAssertEqual(String(decoding: GenerationConfig().jsonData(), as: UTF8.self).filter { !$0.isWhitespace }, "{}")

        let transformers = #"{"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008], "temperature": 0.6, "top_p": 0.9, "transformers_version": "4.45.0"}"#
        let parsed = try GenerationConfig(jsonData: Data(transformers.utf8))
        XCTAssertEqual(parsed, GenerationConfig(doSample: true, temperature: 0.6, topP: 0.9, bosTokenId: 128000, eosTokenId: 128001))
        XCTAssertThrowsError(try GenerationConfig(jsonData: Data(#"{"top_k": "forty"}"#.utf8)))

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("seed-gen-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try g.write(to: url)
        XCTAssertEqual(try GenerationConfig(contentsOf: url), g)
    }
}
