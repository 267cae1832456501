#include "core/secure_channel.h"

#include <gtest/gtest.h>

#include <string>

namespace fleetcast::secure {
namespace {

sign::SecretKey NewKey() {
  sign::SecretKey secret;
  sign::PublicKey unused;
  crypto_sign_keypair(unused.data(), secret.data());
  return secret;
}

Bytes Text(const std::string& s) { return Bytes(s.begin(), s.end()); }

struct Pair {
  Channel client;
  Channel server;
};

Pair Connect(const sign::SecretKey& key, const std::vector<sign::PublicKey>& trusted) {
  ClientHandshake client;
  ServerHandshake server(key);
  Result<Bytes> hello = server.Respond(client.Hello());
  EXPECT_TRUE(hello.ok());
  Result<ClientHandshake::Finished> done = client.Finish(*hello, trusted);
  EXPECT_TRUE(done.ok()) << done.status().message();
  Result<Channel> channel = server.Finish(done->header);
  EXPECT_TRUE(channel.ok());
  return {done->channel, *channel};
}

TEST(SecureChannelTest, MessagesGoBothWaysInOrder) {
  const sign::SecretKey key = NewKey();
  Pair p = Connect(key, {sign::PublicKeyOf(key)});
  for (int i = 0; i < 3; ++i) {
    Result<Bytes> up = p.server.Open(p.client.Seal(Text("hello " + std::to_string(i))));
    ASSERT_TRUE(up.ok());
    EXPECT_EQ(*up, Text("hello " + std::to_string(i)));
    Result<Bytes> down = p.client.Open(p.server.Seal(Text("session")));
    ASSERT_TRUE(down.ok());
    EXPECT_EQ(*down, Text("session"));
  }
}

TEST(SecureChannelTest, SealedBytesDoNotShowThePlaintext) {
  const sign::SecretKey key = NewKey();
  Pair p = Connect(key, {});
  const Bytes sealed = p.client.Seal(Text("password=hunter2"));
  EXPECT_EQ(sealed.size(), 16 + kSealOverhead);
  EXPECT_EQ(std::string(sealed.begin(), sealed.end()).find("hunter2"), std::string::npos);
}

TEST(SecureChannelTest, TamperedReplayedOrReorderedMessagesFail) {
  const sign::SecretKey key = NewKey();
  Pair p = Connect(key, {});
  Bytes first = p.client.Seal(Text("one"));
  const Bytes second = p.client.Seal(Text("two"));
  Bytes flipped = first;
  flipped[3] ^= 1;
  EXPECT_FALSE(p.server.Open(flipped).ok());

  Pair q = Connect(key, {});
  const Bytes a = q.client.Seal(Text("a"));
  const Bytes b = q.client.Seal(Text("b"));
  EXPECT_FALSE(q.server.Open(b).ok()) << "reordered";
  Pair r = Connect(key, {});
  const Bytes c = r.client.Seal(Text("c"));
  ASSERT_TRUE(r.server.Open(c).ok());
  EXPECT_FALSE(r.server.Open(c).ok()) << "replayed";
  EXPECT_FALSE(p.server.Open(Bytes(3)).ok()) << "too short";
  (void)second;
  (void)a;
}

TEST(SecureChannelTest, ClientRefusesAServerKeyItDoesNotTrust) {
  const sign::SecretKey key = NewKey();
  const sign::SecretKey other = NewKey();
  ClientHandshake client;
  ServerHandshake server(key);
  Result<Bytes> hello = server.Respond(client.Hello());
  ASSERT_TRUE(hello.ok());
  Result<ClientHandshake::Finished> done = client.Finish(*hello, {sign::PublicKeyOf(other)});
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.status().message(),
            "the server's key " + sign::Fingerprint(sign::PublicKeyOf(key)) + " is not trusted");
}

TEST(SecureChannelTest, ClientRefusesAForgedOrReplayedServerHello) {
  const sign::SecretKey key = NewKey();
  const sign::PublicKey pub = sign::PublicKeyOf(key);
  ClientHandshake first;
  ServerHandshake server(key);
  Result<Bytes> hello = server.Respond(first.Hello());
  ASSERT_TRUE(hello.ok());
  // The same server hello offered to another client: its signature covers
  // the first client's ephemeral key, not this one's.
  ClientHandshake second;
  Result<ClientHandshake::Finished> replayed = second.Finish(*hello, {pub});
  ASSERT_FALSE(replayed.ok());
  EXPECT_EQ(replayed.status().message(), "the server's handshake signature is wrong");
  // A man in the middle swapping in its own ephemeral key.
  Bytes forged = *hello;
  forged[5 + 32] ^= 0x40;
  EXPECT_FALSE(first.Finish(forged, {pub}).ok());
  EXPECT_FALSE(first.Finish(Bytes(10), {pub}).ok());
}

TEST(SecureChannelTest, ServerRefusesGarbage) {
  const sign::SecretKey key = NewKey();
  ServerHandshake server(key);
  Result<Bytes> r = server.Respond(Text("GET / HTTP/1.1\r\n\r\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "not a fleetcast control handshake (or another version)");
  EXPECT_FALSE(server.Finish(Bytes(kStreamHeaderLength)).ok());
}

}  // namespace
}  // namespace fleetcast::secure
