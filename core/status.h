// Status and Result: how every fallible call in fleetcast reports failure.
//
// A Status is OK or a code with a one-line message written for the user:
// "<thing>: <what is wrong>; <what to do>". Result<T> holds a value or a
// non-OK Status (C++20 has no std::expected). No exceptions cross a core API.
#ifndef FLEETCAST_CORE_STATUS_H_
#define FLEETCAST_CORE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace fleetcast {

class Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound = 1,
    kCorruption = 2,
    kInvalidArgument = 3,
    kIOError = 4,
    kNotSupported = 5,
    kInterrupted = 6,  // stopped by a signal (SIGINT, SIGTERM)
    kIncomplete = 7,   // the job ran to its end, but not every part of it succeeded
  };

  Status() = default;

  static Status OK() { return {}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status NotSupported(std::string msg) { return {Code::kNotSupported, std::move(msg)}; }
  static Status Interrupted(std::string msg) { return {Code::kInterrupted, std::move(msg)}; }
  static Status Incomplete(std::string msg) { return {Code::kIncomplete, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  /// The same status with "context: " in front of its message, so a caller can
  /// name the file or chunk that a lower layer did not know about.
  Status Prefixed(const std::string& context, const std::string& separator = ": ") const {
    if (ok()) return *this;
    return {code_, context + separator + message_};
  }

  /// "OK", or the code's name and the message, for tests and logs.
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

/// A value of T, or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  /// OK when a value is held.
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_STATUS_H_
