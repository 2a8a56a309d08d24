// An injected environment for the config tests, in place of the process's.
#ifndef ANDANTE_TESTS_SERVER_FAKE_ENV_H_
#define ANDANTE_TESTS_SERVER_FAKE_ENV_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "andante/config.h"

namespace andante {

// An EnvLookup that knows exactly `vars`; every other name is unset.
inline EnvLookup FakeEnv(std::map<std::string, std::string, std::less<>> vars) {
  return [vars = std::move(vars)](
             std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace andante

#endif  // ANDANTE_TESTS_SERVER_FAKE_ENV_H_
