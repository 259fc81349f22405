// Tokenizer: layout (matches the PyTorch reference), encode/decode round trips,
// vocab.json map round trips and the validation errors of init(vocabulary:).

import Foundation
import XCTest
@testable import Tasks

final class TokenizerTests: XCTestCase {
    func digits() throws -> Tokenizer { try Tokenizer(characters: Array("0123456789".unicodeScalars)) }

    func testDigitLayoutMatchesReference() throws {
        // shared/peers/reverse_grpo.py: digits 0-9 -> 0-9, BOS 10, SEP 11, EOS 12, PAD 13, vocab 16.
        let t = try digits()
        XCTAssertEqual(try t.encode("0123456789"), Array(0...9))
        XCTAssertEqual([t.begin, t.separator, t.end, t.pad], [10, 11, 12, 13])
        XCTAssertEqual(t.vocabSize, 16)
        XCTAssertEqual(t.tokens[14], "<unused14>")
        XCTAssertTrue(t.isSpecial(10))
        XCTAssertFalse(t.isSpecial(9))
    }

    func testPadMultiple() throws {
        let chars = Array("abc".unicodeScalars)
        XCTAssertEqual(try Tokenizer(characters: chars, padMultiple: 1).vocabSize, 7)
        XCTAssertEqual(try Tokenizer(characters: chars, padMultiple: 8).vocabSize, 8)
        XCTAssertEqual(try Tokenizer(characters: chars, padMultiple: 5).vocabSize, 10)
        XCTAssertThrowsError(try Tokenizer(characters: chars, padMultiple: 0)) {
            XCTAssertEqual($0 as? TokenizerError, .invalidPadMultiple(0))
        }
    }

    func testEncodeDecodeRoundTripUnicode() throws {
        let text = "héllo, wörld ✓ 🙂"
        let t = try Tokenizer(characters: Array(Set(text.unicodeScalars)).sorted { $0.value < $1.value })
        let ids = try t.encode(text)
        XCTAssertEqual(ids.count, text.unicodeScalars.count)
        XCTAssertEqual(t.decode(ids), text)
        XCTAssertEqual(Set(ids).count, Set(text.unicodeScalars).count)
    }

    func testDecodeRendersSpecialsAndInvalidIDs() throws {
        let t = try digits()
        XCTAssertEqual(t.decode([t.begin, 4, 2, t.separator, 2, 4, t.end, t.pad, 15, 99, -1]),
                       "<begin>42<sep>24<end><pad><unused15><invalid:99><invalid:-1>")
    }

    func testEncodeUnknownCharacterThrows() throws {
        XCTAssertThrowsError(try digits().encode("12a3")) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownCharacter("a", text: "12a3"))
            XCTAssertTrue("\(error)".contains("U+61"))
        }
    }

    func testDuplicateCharacterRejected() {
        XCTAssertThrowsError(try Tokenizer(characters: Array("aba".unicodeScalars))) {
            XCTAssertEqual($0 as? TokenizerError, .duplicateToken("a", firstID: 0, secondID: 2))
        }
    }

    func testVocabularyMapRoundTrip() throws {
        for chars in ["0123456789", "0123456789+", "ab", "xyz🙂é"] {
            let t = try Tokenizer(characters: Array(chars.unicodeScalars))
            let map = t.vocabulary
            XCTAssertEqual(map.count, t.vocabSize)
            XCTAssertEqual(Set(map.values), Set(0..<t.vocabSize))
            let back = try Tokenizer(vocabulary: map)
            XCTAssertEqual(back, t)
            XCTAssertEqual(back.tokens, t.tokens)
            XCTAssertEqual([back.begin, back.separator, back.end, back.pad], [t.begin, t.separator, t.end, t.pad])
            XCTAssertEqual(try back.encode(chars), try t.encode(chars))
        }
    }

    func testVocabularyJSONRoundTrip() throws {
        let t = try Tokenizer(characters: Array("0123456789+".unicodeScalars))
        let data = try JSONEncoder().encode(t.vocabulary)
        let map = try JSONDecoder().decode([String: Int].self, from: data)
        XCTAssertEqual(try Tokenizer(vocabulary: map), t)
    }

    func testVocabularyValidation() throws {
        var map = try digits().vocabulary
        map["<pad>"] = nil
        XCTAssertThrowsError(try Tokenizer(vocabulary: map)) { XCTAssertEqual($0 as? TokenizerError, .idOutOfRange(token: "<unused15>", id: 15, count: 15)) }

        map = try digits().vocabulary
        map["5"] = 7  // "5" and "7" share id 7, and id 5 is free
        XCTAssertThrowsError(try Tokenizer(vocabulary: map)) { error in
            XCTAssertEqual(error as? TokenizerError, .duplicateID(7, tokens: ["5", "7"]))
        }

        map = try digits().vocabulary
        map["<end>"] = nil
        map["x"] = 12
        XCTAssertThrowsError(try Tokenizer(vocabulary: map)) { XCTAssertEqual($0 as? TokenizerError, .missingSpecial("<end>")) }

        map = try digits().vocabulary
        (map["<sep>"], map["<end>"]) = (12, 11)
        XCTAssertThrowsError(try Tokenizer(vocabulary: map)) {
            XCTAssertEqual($0 as? TokenizerError, .misplacedSpecial("<sep>", id: 12, expected: 11))
        }

        map = try digits().vocabulary
        map["3"] = nil
        map["33"] = 3
        XCTAssertThrowsError(try Tokenizer(vocabulary: map)) { XCTAssertEqual($0 as? TokenizerError, .invalidToken("33", id: 3)) }

        map = try digits().vocabulary
        map["<unused14>"] = nil
        map["q"] = 14  // a character after the specials
        XCTAssertThrowsError(try Tokenizer(vocabulary: map)) { XCTAssertEqual($0 as? TokenizerError, .invalidToken("q", id: 14)) }
    }
}

final class TokenizerCodableTests: XCTestCase {
    func testCodableIsTheVocabularyMap() throws {
        let t = try Tokenizer(characters: Array("0123456789+".unicodeScalars))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(t)
        XCTAssertEqual(try JSONDecoder().decode([String: Int].self, from: data), t.vocabulary)
        XCTAssertEqual(try JSONDecoder().decode(Tokenizer.self, from: data), t)
        let bad = Data("{\"0\": 0, \"1\": 0}".utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(Tokenizer.self, from: bad)) {
            XCTAssertTrue($0 is DecodingError, "\($0)")
        }
    }
}
