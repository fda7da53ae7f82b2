// Writes fuzz_dataset_reader's seed corpus: small valid data sets written by the library (QPSK and QAM16, with
// and without H_est, deflate 0 and 1; a coded one), then a truncated and two bit-flipped copies of one of them. Small chunks keep
// them a few kB: `mimo generate` allocates a whole 1 MiB chunk even for 3 samples when uncompressed, and
// libFuzzer mutates small inputs far faster. Run: build-asan/fuzz/make_reader_seeds fuzz/corpus/fuzz_dataset_reader
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "channel/generator.hpp"
#include "coding/ldpc_spec.hpp"
#include "datasets/writer.hpp"

namespace {

std::string write_valid(const std::string& dir, mimo::Modulation modulation, double csi_error_var, int compression) {
  mimo::GeneratorConfig cfg;
  cfg.channel.nt = cfg.channel.nr = 2;
  cfg.channel.csi_error_var = csi_error_var;
  cfg.modulation = modulation;
  cfg.snr = mimo::SnrSchedule::grid("0:5:10");
  const mimo::Generator gen(cfg);
  mimo::SampleBatch batch;
  gen.generate(0, 3, batch);

  mimo::DatasetInfo info;
  info.channel = cfg.channel;
  info.modulation = modulation;
  info.snr_schedule = cfg.snr.describe();
  info.seed = cfg.seed;
  info.tool_version = "fuzz-seed";
  mimo::WriterOptions options;
  options.with_h_est = csi_error_var > 0;
  options.compression = compression;
  options.chunk_bytes = 2 * 2 * 2 * 8;  // two samples per chunk: one full chunk and one partial
  const std::string path = dir + "/" + mimo::to_string(modulation) + (csi_error_var > 0 ? "_csi" : "") + "_c" +
                           std::to_string(compression) + ".seed";
  mimo::DatasetWriter writer(path, info, options);
  writer.append(batch);
  writer.commit();
  return path;
}

// A coded data set (`generate --code`): 2x2 QPSK, two blocks of the smallest code, K = 40 over E = 80 bits (20
// channel uses each), with its code attributes and info_bits. The bits are the generator's: the reader checks the
// attributes' consistency and info_bits' shape and values, not that the bits are codewords.
void write_coded(const std::string& dir) {
  mimo::GeneratorConfig cfg;
  cfg.channel.nt = cfg.channel.nr = 2;
  cfg.snr = mimo::SnrSchedule::grid("5");
  mimo::SampleBatch batch;
  mimo::Generator(cfg).generate(0, 40, batch);
  mimo::DatasetInfo info;
  info.channel = cfg.channel;
  info.modulation = cfg.modulation;
  info.snr_schedule = cfg.snr.describe();
  info.seed = cfg.seed;
  info.tool_version = "fuzz-seed";
  info.code = mimo::DatasetCode{mimo::parse_ldpc_spec("ldpc:k=40,n=80"), "ldpc:k=40,n=80", 20};
  mimo::WriterOptions options;
  options.compression = 0;
  options.chunk_bytes = 2 * 2 * 8 * 16;
  mimo::DatasetWriter writer(dir + "/qpsk_coded_c0.seed", info, options);
  writer.append(batch, std::vector<uint8_t>(batch.bits.begin(), batch.bits.begin() + 2 * 40));
  writer.commit();
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus folder>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  // Each modulation, H_est and deflate level once (every file is about 25 kB of HDF5 metadata: the checked-in
  // corpus stays under 200 kB).
  const auto base = write_valid(dir, mimo::Modulation::qpsk, 0.0, 0);
  write_valid(dir, mimo::Modulation::qpsk, 0.1, 1);
  write_valid(dir, mimo::Modulation::qam16, 0.0, 1);
  write_valid(dir, mimo::Modulation::qam16, 0.1, 0);
  write_coded(dir);
  // Damaged copies of the first one: cut inside the metadata, and single flipped bits.
  const auto bytes = read_bytes(base);
  const size_t keep = bytes.size() / 3;
  write_bytes(dir + "/truncated_" + std::to_string(keep) + ".seed", {bytes.begin(), bytes.begin() + keep});
  // Single flipped bits in metadata the reader checks: the modulation and the channel model's names.
  for (const std::string text : {"qpsk", "rayleigh"}) {
    const auto at = std::search(bytes.begin(), bytes.end(), text.begin(), text.end());
    if (at == bytes.end()) return 1;
    auto flipped = bytes;
    flipped[static_cast<size_t>(at - bytes.begin()) + 1] ^= 0x01;
    write_bytes(dir + "/bitflip_" + text + ".seed", flipped);
  }
  return 0;
}
