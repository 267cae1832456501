#include "core/signing.h"

#include <sodium.h>

#include <sstream>

namespace fleetcast::sign {

namespace {

// sodium_init picks the fastest implementations for this CPU; it is
// thread-safe and idempotent, so every entry point calls it.
void Init() {
  static const int kInitialised = sodium_init();
  (void)kInitialised;
}

static_assert(kBlake2b256Length == crypto_generichash_BYTES);
static_assert(kPublicKeyLength == crypto_sign_PUBLICKEYBYTES);
static_assert(kSecretKeyLength == crypto_sign_SECRETKEYBYTES);
static_assert(kSignatureLength == crypto_sign_BYTES);

constexpr size_t kFingerprintLength = 16;

template <size_t N>
bool FromHex(const std::string& hex, std::array<uint8_t, N>* out) {
  if (hex.size() != 2 * N) return false;
  size_t bin_len = 0;
  return sodium_hex2bin(out->data(), N, hex.data(), hex.size(), nullptr, &bin_len, nullptr) == 0 &&
         bin_len == N;
}

// Splits "TAG HEX" into its two words; false if the line has another shape.
bool SplitLine(const std::string& line, std::string* tag, std::string* hex) {
  std::istringstream in(line);
  std::string extra;
  return static_cast<bool>(in >> *tag >> *hex) && !(in >> extra);
}

bool IsBlankOrComment(const std::string& line) {
  const size_t first = line.find_first_not_of(" \t\r");
  return first == std::string::npos || line[first] == '#';
}

}  // namespace

Blake2b256 Blake2b(ByteView bytes) {
  Init();
  Blake2b256 out;
  crypto_generichash(out.data(), out.size(), bytes.data(), bytes.size(), nullptr, 0);
  return out;
}

PublicKey PublicKeyOf(const SecretKey& secret) {
  PublicKey key;
  crypto_sign_ed25519_sk_to_pk(key.data(), secret.data());
  return key;
}

Signature Sign(ByteView message, const SecretKey& secret) {
  Init();
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret.data());
  return sig;
}

bool Verify(ByteView message, const Signature& signature, const PublicKey& key) {
  Init();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     key.data()) == 0;
}

std::string ToHex(ByteView bytes) {
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  hex.pop_back();
  return hex;
}

std::string Fingerprint(const PublicKey& key) {
  Init();
  std::array<uint8_t, kFingerprintLength> h;
  crypto_generichash(h.data(), h.size(), key.data(), key.size(), nullptr, 0);
  return "ed25519:" + ToHex(h);
}

std::string PublicKeyText(const PublicKey& key) {
  return std::string(kPublicKeyTag) + " " + ToHex(key) + "\n";
}

std::string SecretKeyText(const SecretKey& secret) {
  return std::string(kSecretKeyTag) + " " + ToHex(secret) + "\n";
}

Result<SecretKey> ParseSecretKey(const std::string& text) {
  std::string tag, hex;
  SecretKey secret;
  if (!SplitLine(text, &tag, &hex) || tag != kSecretKeyTag || !FromHex(hex, &secret)) {
    return Status::InvalidArgument(std::string("not a secret key (want one line \"") +
                                   kSecretKeyTag + " <128 hex digits>\")");
  }
  // The public half is stored, not derived: check it belongs to the seed.
  Init();
  PublicKey derived;
  SecretKey again;
  crypto_sign_seed_keypair(derived.data(), again.data(), secret.data());
  if (derived != PublicKeyOf(secret)) {
    return Status::InvalidArgument("secret key: its public half does not match its seed");
  }
  return secret;
}

Result<std::vector<PublicKey>> ParsePublicKeys(const std::string& text) {
  std::vector<PublicKey> keys;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (IsBlankOrComment(line)) continue;
    std::string tag, hex;
    PublicKey key;
    if (!SplitLine(line, &tag, &hex) || tag != kPublicKeyTag || !FromHex(hex, &key)) {
      return Status::InvalidArgument("line " + std::to_string(number) +
                                     ": not a public key (want \"" + kPublicKeyTag +
                                     " <64 hex digits>\")");
    }
    keys.push_back(key);
  }
  if (keys.empty()) {
    return Status::InvalidArgument(std::string("holds no public key (want a line \"") +
                                   kPublicKeyTag + " <64 hex digits>\")");
  }
  return keys;
}

}  // namespace fleetcast::sign
