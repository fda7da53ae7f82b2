#pragma once
// The transformer (LibTorch) is a plugin that `mimo` loads on first use, so that commands without it start fast
// and the executable links no LibTorch library. It is looked for in $MIMO_PLUGIN_DIR when that is set (and only
// there), else beside the executable (the build tree), then in the install folder relative to it; a host that is
// not the executable (the Python module) names its own folders instead.
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "transformer/plugin_api.hpp"

namespace mimo::cli {

/// The folders searched for the plugin, in order.
std::vector<std::filesystem::path> plugin_search_path();
/// Replaces the folders searched after $MIMO_PLUGIN_DIR (default: the executable's, see above). Call before the
/// first transformer_plugin().
void set_plugin_folders(std::vector<std::filesystem::path> folders);

/// The plugin, loaded on the first call. Throws std::runtime_error, one line, when it is not found, cannot be
/// loaded (the loader's reason) or comes from another build.
const tf::PluginApi& transformer_plugin();

/// Registers the "transformer" detector, whose factory loads the plugin when a spec first names it.
void register_transformer_detector();

/// e.what() as one line: the plugin's error_line once it is loaded (a LibTorch error's what() carries a
/// backtrace); before that no LibTorch error can exist, and what() is returned as it is.
std::string error_line(const std::exception& e);

}  // namespace mimo::cli
