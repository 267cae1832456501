#include "server/secret_store.h"

#include <sys/stat.h>
#include <toml++/toml.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace fleetcast {

namespace {

std::string OctalMode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Passwords in a file others can read are not secret: refuse it outright.
Status CheckPermissions(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return Status::NotFound(file + ": " + std::strerror(errno) + "; give an existing secrets file");
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(file + ": not a regular file");
  if ((st.st_mode & 077) != 0) {
    return Status::InvalidArgument(file + ": mode " + OctalMode(st.st_mode) +
                                   " lets others read the passwords; chmod 600 " + file);
  }
  return Status::OK();
}

}  // namespace

std::string SecretStore::EnvironmentName(const std::string& name) {
  std::string out = "FLEETCAST_SECRET_";
  for (const char c : name) {
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
               : '_';
  }
  return out;
}

Result<SecretStore> SecretStore::Load(const std::string& file) {
  SecretStore store;
  if (file.empty()) return store;
  if (Status s = CheckPermissions(file); !s.ok()) return s;
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    // The description may quote the line: it holds a password, so leave it out.
    return Status::InvalidArgument(file + ":" + std::to_string(e.source().begin.line) +
                                   ": not TOML; write one `name = \"value\"` per line");
  }
  for (const auto& [key, value] : root) {
    const auto* text = value.as_string();
    if (text == nullptr) {
      return Status::InvalidArgument(file + ":" + std::to_string(value.source().begin.line) + ": " +
                                     std::string(key.str()) + ": expected a string in quotes");
    }
    store.file_values_[std::string(key.str())] = text->get();
  }
  return store;
}

std::optional<std::string> SecretStore::Get(const std::string& name) const {
  if (const char* env = std::getenv(EnvironmentName(name).c_str())) return std::string(env);
  const auto it = file_values_.find(name);
  if (it == file_values_.end()) return std::nullopt;
  return it->second;
}

NodeSecrets SecretStore::For(const NodeSpec& node) const {
  NodeSecrets secrets;
  if (!node.admin_password_secret.empty()) {
    secrets.admin_password = Get(node.admin_password_secret).value_or("");
  }
  if (!node.domain_password_secret.empty()) {
    secrets.domain_password = Get(node.domain_password_secret).value_or("");
  }
  return secrets;
}

}  // namespace fleetcast
