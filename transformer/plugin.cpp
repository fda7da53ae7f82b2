// The plugin's entry point (plugin_api.hpp): the library's functions as the table `mimo` calls through.
#include "transformer/errors.hpp"
#include "transformer/plugin_api.hpp"
#include "transformer/train.hpp"
#include "transformer/transformer_detector.hpp"

namespace {

mimo::tf::PluginApi make_api() {
  mimo::tf::PluginApi api;
  api.make_detector = &mimo::tf::make_transformer_detector;
  api.train = &mimo::tf::train;
  api.error_line = &mimo::tf::error_line;
  return api;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const mimo::tf::PluginApi* mimo_transformer_plugin() {
  static const mimo::tf::PluginApi api = make_api();
  return &api;
}
