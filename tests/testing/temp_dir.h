// A scratch directory for one test, removed with everything in it when the
// TempDir is destroyed.
//
//   andante::testing::TempDir tmp("andante_wal_test");
//   Wal::Open(options, tmp.path() + "/wal");
#ifndef ANDANTE_TESTS_TESTING_TEMP_DIR_H_
#define ANDANTE_TESTS_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "gtest/gtest.h"

namespace andante::testing {

class TempDir {
 public:
  // Creates /tmp/<prefix>.XXXXXX (mkdtemp). A failure is a test failure.
  explicit TempDir(std::string_view prefix) {
    std::string tmpl = "/tmp/" + std::string(prefix) + ".XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << tmpl;
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The directory, without a trailing '/'. Valid while this TempDir lives.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_TESTING_TEMP_DIR_H_
