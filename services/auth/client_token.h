#ifndef DLKIT_SERVICES_AUTH_CLIENT_TOKEN_H_
#define DLKIT_SERVICES_AUTH_CLIENT_TOKEN_H_

// The client side of tokens: finding the daemon's, and channels that send one on every call.

#include <functional>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"

namespace dlkit::auth {

// `env_token` ($DLKIT_TOKEN) when not empty, else the first line of `home`/token, else ""
// (no daemon has started in that home yet).
std::string FindToken(const std::string& home, const std::string& env_token);

// Where each call's token comes from. Asked at every call until it answers non-empty (a
// daemon that dlctl itself starts writes its token after dlctl made its channel), then kept.
using TokenSource = std::function<std::string()>;

// Interceptors that add "authorization: Bearer <token>" to every call made through a channel.
std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
BearerInterceptors(TokenSource token);

// grpc::CreateCustomChannel, sending `token` on every call.
std::shared_ptr<grpc::Channel> CreateChannelWithToken(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& args, TokenSource token);

}  // namespace dlkit::auth

#endif  // DLKIT_SERVICES_AUTH_CLIENT_TOKEN_H_
