/* core/crypto.c - placeholder until its owner lands it. */
typedef int stella_placeholder_crypto;
