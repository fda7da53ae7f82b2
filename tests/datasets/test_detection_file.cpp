// The detections file is written all or nothing.
#include <gtest/gtest.h>

#include "datasets/detection_file.hpp"
#include "io_helpers.hpp"

namespace mimo {
namespace {

TEST(DetectionFile, NothingIsLeftWithoutCommit) {
  const auto dir = test::scratch_dir("detections");
  const auto path = (dir / "det.h5").string();
  {
    DetectionFileWriter w(path, DetectionFileInfo{"d.h5", "qpsk", 2, 1, 1, 2, "test", "test", "", 0, 0});
    const size_t d = w.add_detector("mmse", "mmse", true);
    const std::vector<int32_t> symbols{0, 3};
    const std::vector<float> llr{1, 2, 3, 4};
    w.write(d, 0, 2, symbols.data(), llr.data());
    EXPECT_TRUE(std::filesystem::exists(path + ".partial"));
    EXPECT_THROW(w.add_detector("mmse", "mmse", false), DatasetError);  // a name used twice
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  EXPECT_FALSE(std::filesystem::exists(path));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mimo
