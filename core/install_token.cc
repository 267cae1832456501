#include "core/install_token.h"

#include <sodium.h>

#include <array>

namespace fleetcast::install_token {

namespace {

bool SameToken(const std::string& expected, std::string_view token) {
  return token.size() == expected.size() &&
         sodium_memcmp(expected.data(), token.data(), expected.size()) == 0;
}

}  // namespace

std::string Make(std::string_view key, std::string_view node, uint64_t generation) {
  std::string message = "install";
  message.push_back('\0');
  message.append(node);
  message.push_back('\0');
  message.append(std::to_string(generation));
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  std::string hex(2 * 16 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), 16);
  hex.pop_back();
  return hex;
}

Check Verify(std::string_view key, std::string_view node, uint64_t generation,
             std::string_view token) {
  if (token.empty() || generation == 0) return Check::kMissing;
  if (SameToken(Make(key, node, generation), token)) return Check::kValid;
  if (generation > 1 && SameToken(Make(key, node, generation - 1), token)) return Check::kSpent;
  return Check::kWrong;
}

}  // namespace fleetcast::install_token
