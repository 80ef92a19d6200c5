#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace neuroppa::base {

// SHA-256 (OpenSSL) for content-addressed caches. Each update() is framed by
// its length so that ("ab","c") and ("a","bc") hash differently.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& update(std::string_view field);
  std::string hex();  // finishes the digest

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The plain SHA-256 of some bytes, as sha256sum prints it (no framing).
std::string sha256_hex(std::string_view data);

}  // namespace neuroppa::base
