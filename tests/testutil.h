/* SPDX-License-Identifier: MIT */
/* Test helpers: placeholder until the encoder lands. */
#pragma once
