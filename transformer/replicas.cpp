#include "transformer/replicas.hpp"

#include <torch/version.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "transformer/errors.hpp"

// USE_C10D_GLOO / USE_C10D_NCCL: set by transformer/CMakeLists.txt when this LibTorch has the backend (its
// headers compile and link); the c10d headers themselves are empty without them.
#if defined(USE_C10D_GLOO) || defined(USE_C10D_NCCL)
#define MIMO_HAVE_C10D 1
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace mimo::tf {

namespace {

std::string where(const DistributedConfig& c) { return c.master_addr + ":" + std::to_string(c.master_port); }

}  // namespace

#ifdef MIMO_HAVE_C10D

namespace {

// LibTorch 2 moved a backend's collectives into c10d::Backend (ProcessGroup became the dispatcher in front of
// it); in 1.x Gloo and NCCL derive from ProcessGroup itself. Both declare allreduce and broadcast on
// std::vector<at::Tensor>& returning a Work to wait() on, which is all that is used here.
#if TORCH_VERSION_MAJOR >= 2
using CollectiveBackend = c10d::Backend;
#else
using CollectiveBackend = c10d::ProcessGroup;
#endif

std::chrono::milliseconds timeout() {
  return std::chrono::milliseconds(static_cast<int64_t>(DistributedConfig::kTimeoutSeconds * 1000));
}

c10::intrusive_ptr<c10d::Store> tcp_store(const DistributedConfig& c) {
  c10d::TCPStoreOptions o;
  o.port = static_cast<uint16_t>(c.master_port);
  o.isServer = c.rank == 0;
  o.numWorkers = static_cast<size_t>(c.size);
  o.waitWorkers = true;
  o.timeout = timeout();
  return c10::make_intrusive<c10d::TCPStore>(c.master_addr, o);
}

#ifdef USE_C10D_GLOO
// The address Gloo listens on. A loopback rendezvous means every process is on this machine: loopback needs no
// resolvable hostname. Otherwise GLOO_SOCKET_IFNAME as in PyTorch, else the address this machine's hostname
// resolves to (Gloo falls back to loopback when it does not resolve).
std::shared_ptr<::gloo::transport::Device> gloo_device(const DistributedConfig& c) {
  if (const char* name = std::getenv("GLOO_SOCKET_IFNAME"); name && *name)
    return c10d::ProcessGroupGloo::createDeviceForInterface(name);
  if (c.master_addr.rfind("127.", 0) == 0 || c.master_addr == "localhost" || c.master_addr == "::1")
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

c10::intrusive_ptr<CollectiveBackend> gloo(const c10::intrusive_ptr<c10d::Store>& store, const DistributedConfig& c) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout());
  options->devices.push_back(gloo_device(c));
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, c.rank, c.size, options);
}
#endif

#ifdef USE_C10D_NCCL
c10::intrusive_ptr<CollectiveBackend> nccl(const c10::intrusive_ptr<c10d::Store>& store, const DistributedConfig& c) {
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout();
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, c.rank, c.size, options);
}
#endif

}  // namespace

class SetupFailed : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Each process's setup error (empty: none) through the store; throws in every process when one failed. A failed
// process waits until every other has read the errors: process 0 serves the store.
void agree_on_setup(c10d::Store& store, const DistributedConfig& c, const std::string& error) {
  const auto key = [](const char* what, int rank) { return std::string("mimo/setup/") + what + std::to_string(rank); };
  store.set(key("error", c.rank), std::vector<uint8_t>(error.begin(), error.end()));
  int first = -1;
  std::string first_error;
  for (int r = 0; r < c.size && first < 0; ++r) {
    const auto e = store.get(key("error", r));
    if (!e.empty()) first = r, first_error.assign(e.begin(), e.end());
  }
  if (first < 0) return;
  store.set(key("read", c.rank), std::vector<uint8_t>{1});
  if (!error.empty()) {
    std::vector<std::string> all;
    for (int r = 0; r < c.size; ++r) all.push_back(key("read", r));
    store.wait(all);
  }
  throw SetupFailed("process " + std::to_string(first) + " of " + std::to_string(c.size) + " failed: " +
                    first_error);
}

class Replicas::Group {
public:
  Group(const DistributedConfig& c, const torch::Device& device, const std::string& setup_error) {
    store_ = tcp_store(c);
    agree_on_setup(*store_, c, setup_error);
#ifdef USE_C10D_NCCL
    if (device.is_cuda()) {
      backend_ = nccl(store_, c);
      name_ = "nccl";
      device_ = device;
      return;
    }
#endif
#ifdef USE_C10D_GLOO
    backend_ = gloo(store_, c);
    name_ = "gloo";  // CUDA tensors too, through host memory: the sums stage them on the CPU
    return;
#endif
    (void)device;
    throw std::invalid_argument("this mimo's LibTorch has NCCL but not Gloo: it trains across processes with "
                                "--device cuda only");
  }

  /// Runs `collective` on each list of tensors, then waits for all of them: the transfers overlap.
  template <typename Collective>
  void run(std::vector<std::vector<at::Tensor>>& lists, Collective collective) {
    std::vector<decltype(collective(lists.front()))> works;
    for (auto& list : lists) works.push_back(collective(list));
    for (auto& w : works) w->wait();
  }

  void allreduce(std::vector<std::vector<at::Tensor>>& lists) {
    run(lists, [&](std::vector<at::Tensor>& l) { return backend_->allreduce(l); });
  }
  void broadcast(std::vector<std::vector<at::Tensor>>& lists) {
    run(lists, [&](std::vector<at::Tensor>& l) { return backend_->broadcast(l); });
  }

  /// Where the collectives' tensors must be: the GPU for NCCL, the CPU for Gloo.
  const torch::Device& device() const { return device_; }
  const std::string& name() const { return name_; }

private:
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<CollectiveBackend> backend_;
  torch::Device device_ = torch::kCPU;
  std::string name_;
};

#else  // no c10d backend in this LibTorch

class Replicas::Group {
public:
  Group(const DistributedConfig& c, const torch::Device&, const std::string&) {
    throw std::invalid_argument("this mimo was built with a LibTorch without c10d's Gloo backend: it trains as one "
                                "process only (" + std::to_string(c.size) + " processes were started)");
  }
  void allreduce(std::vector<std::vector<at::Tensor>>&) {}
  void broadcast(std::vector<std::vector<at::Tensor>>&) {}
  const torch::Device& device() const { return device_; }
  const std::string& name() const { return name_; }

private:
  torch::Device device_ = torch::kCPU;
  std::string name_;
};

#endif

namespace {

// A collective fails when another process ended (its error ends it) or hangs past the timeout.
[[noreturn]] void collective_failed(const std::exception& e) {
  throw std::runtime_error("exchange with the other training processes failed (did one of them end?): " +
                           error_line(e));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Consecutive parameters in groups of about Replicas::kBucketBytes: [first, last) per bucket.
std::vector<std::pair<size_t, size_t>> buckets_of(const std::vector<torch::Tensor>& parameters) {
  std::vector<std::pair<size_t, size_t>> out;
  int64_t bytes = 0;
  for (size_t k = 0; k < parameters.size(); ++k) {
    if (out.empty() || bytes >= Replicas::kBucketBytes) {
      out.emplace_back(k, k);
      bytes = 0;
    }
    out.back().second = k + 1;
    bytes += parameters[k].numel() * static_cast<int64_t>(parameters[k].element_size());
  }
  return out;
}

torch::Tensor flat_gradients(const std::vector<torch::Tensor>& parameters, size_t first, size_t last,
                             const torch::Device& device) {
  std::vector<torch::Tensor> parts;
  for (size_t k = first; k < last; ++k) {
    const auto& g = parameters[k].grad();
    parts.push_back(g.defined() ? g.reshape({-1}) : torch::zeros({parameters[k].numel()}, parameters[k].options()));
  }
  return torch::cat(parts).to(device);
}

void unflatten_gradients(const torch::Tensor& flat, const std::vector<torch::Tensor>& parameters, size_t first,
                         size_t last) {
  int64_t offset = 0;
  for (size_t k = first; k < last; ++k) {
    auto p = parameters[k];
    const auto part = flat.narrow(0, offset, p.numel()).view_as(p).to(p.device());
    if (p.grad().defined())
      p.mutable_grad().copy_(part);
    else
      p.mutable_grad() = part.clone();
    offset += p.numel();
  }
}

}  // namespace

Replicas::Replicas(const DistributedConfig& config, const torch::Device& device, const std::string& setup_error)
    : config_(config) {
  if (config_.size <= 1) return;
  try {
    group_ = std::make_unique<Group>(config_, device, setup_error);
  } catch (const std::invalid_argument&) {
    throw;
#ifdef MIMO_HAVE_C10D
  } catch (const SetupFailed& e) {
    throw std::runtime_error(e.what());
#endif
  } catch (const std::exception& e) {
    throw std::runtime_error("process " + std::to_string(config_.rank) + " of " + std::to_string(config_.size) +
                             " could not join the others at " + where(config_) + ": " + error_line(e));
  }
}

Replicas::~Replicas() = default;

std::string Replicas::backend() const { return group_ ? group_->name() : "none"; }

void Replicas::broadcast(const std::vector<torch::Tensor>& tensors) {
  if (!group_) return;
  torch::NoGradGuard no_grad;
  std::vector<std::vector<at::Tensor>> lists;
  for (const auto& t : tensors) lists.push_back({t.detach().to(group_->device()).contiguous()});
  try {
    group_->broadcast(lists);
  } catch (const std::exception& e) {
    collective_failed(e);
  }
  for (size_t k = 0; k < tensors.size(); ++k)  // a staged copy goes back; a tensor broadcast in place needs none
    if (lists[k][0].data_ptr() != tensors[k].data_ptr()) tensors[k].detach().copy_(lists[k][0]);
}

void Replicas::sum(std::vector<double>& scalars) {
  if (!group_) return;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::vector<at::Tensor>> lists{{torch::tensor(scalars, torch::kFloat64).to(group_->device())}};
  try {
    group_->allreduce(lists);
  } catch (const std::exception& e) {
    collective_failed(e);
  }
  const auto summed = lists[0][0].to(torch::kCPU);
  for (size_t k = 0; k < scalars.size(); ++k) scalars[k] = summed[static_cast<int64_t>(k)].item<double>();
  traffic_.waiting_seconds += seconds_since(start);
}

void Replicas::sum_gradients(const std::vector<torch::Tensor>& parameters) {
  if (!group_) return;
  const auto start = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  const auto buckets = buckets_of(parameters);
  std::vector<std::vector<at::Tensor>> lists;
  for (const auto& [first, last] : buckets) lists.push_back({flat_gradients(parameters, first, last, group_->device())});
  try {
    group_->allreduce(lists);
  } catch (const std::exception& e) {
    collective_failed(e);
  }
  int64_t bytes = 0;
  for (size_t b = 0; b < buckets.size(); ++b) {
    const auto& flat = lists[b][0];
    unflatten_gradients(flat, parameters, buckets[b].first, buckets[b].second);
    bytes += flat.numel() * static_cast<int64_t>(flat.element_size());
  }
  // NCCL's wait() only orders the device's stream: reading one value back makes the time include the transfer.
  if (!lists.empty()) lists.back()[0][0].item<float>();
  traffic_.gradient_bytes = bytes;
  traffic_.buckets = static_cast<int64_t>(buckets.size());
  ++traffic_.steps;
  traffic_.gradient_seconds += seconds_since(start);
}

}  // namespace mimo::tf
