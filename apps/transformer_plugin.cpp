#include "apps/transformer_plugin.hpp"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace mimo::cli {

namespace {

namespace fs = std::filesystem;

// The last resort of every failure: what the user can do about it.
constexpr const char* kBuildHint = "build mimo with -DMIMO_WITH_TORCH=ON and LibTorch installed";

// Set once the plugin is loaded; error_line() must not load it.
std::atomic<const tf::PluginApi*> g_loaded{nullptr};

std::string list(const std::vector<fs::path>& dirs) {
  std::string text;
  for (const auto& d : dirs) text += (text.empty() ? "" : ", ") + d.lexically_normal().string();
  return text.empty() ? "nowhere" : text;
}

// The plugin at `path` (which exists): loaded now, with every symbol resolved (a missing LibTorch library is
// reported here, not at some later call), and checked against this build.
const tf::PluginApi* open_plugin(const fs::path& path) {
  // RTLD_LOCAL: LibTorch's many symbols stay out of the global scope; the plugin finds the core libraries
  // already loaded by their names.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    throw std::runtime_error(std::string("cannot load the transformer plugin: ") + (why ? why : path.c_str()) +
                             " (" + kBuildHint + ")");
  }
  using Entry = const tf::PluginApi* (*)();
  const auto entry = reinterpret_cast<Entry>(dlsym(handle, tf::kPluginEntryPoint));
  const tf::PluginApi* api = entry ? entry() : nullptr;
  if (!api || !api->matches_caller())
    throw std::runtime_error(path.string() + " is not a transformer plugin of this mimo build (rebuild and " +
                             "reinstall both)");
  // Never unloaded: detectors it made, and their vtables, live until exit.
  return api;
}

const tf::PluginApi* load_plugin() {
  const auto dirs = plugin_search_path();
  for (const auto& dir : dirs) {
    const fs::path path = dir / MIMO_PLUGIN_FILE;
    std::error_code ec;
    if (fs::exists(path, ec)) return open_plugin(path);
  }
  throw std::runtime_error(std::string("the transformer plugin is not available (no " MIMO_PLUGIN_FILE " in ") +
                           list(dirs) + "; " + kBuildHint + ")");
}

std::vector<fs::path> executable_folders() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return {exe.parent_path(), exe.parent_path() / MIMO_BIN_TO_PLUGIN_DIR};
}

std::optional<std::vector<fs::path>>& host_folders() {
  static std::optional<std::vector<fs::path>> folders;
  return folders;
}

}  // namespace

void set_plugin_folders(std::vector<fs::path> folders) { host_folders() = std::move(folders); }

std::vector<fs::path> plugin_search_path() {
  // Set, it is the only place: a test or a user can rule out every other copy.
  if (const char* dir = std::getenv("MIMO_PLUGIN_DIR"); dir && *dir) return {dir};
  return host_folders() ? *host_folders() : executable_folders();
}

const tf::PluginApi& transformer_plugin() {
  // A failed load throws out of the initializer, so the next call tries again (and fails the same way).
  static const tf::PluginApi* const api = [] {
    const auto* loaded = load_plugin();
    g_loaded = loaded;
    return loaded;
  }();
  return *api;
}

void register_transformer_detector() {
  register_detector("transformer", [](const DetectorOptions& options, Modulation modulation) {
    return transformer_plugin().make_detector(options, modulation);
  });
}

std::string error_line(const std::exception& e) {
  const tf::PluginApi* plugin = g_loaded;
  return plugin ? plugin->error_line(e) : e.what();
}

}  // namespace mimo::cli
