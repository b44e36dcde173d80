import { VGA_TEXT } from "./lib/layout";
export function kmain(bootInfo: u32): i32 {
  const msg = "Hello World!";
  for (let i = 0; i < msg.length; i++) store<u16>(VGA_TEXT + (<usize>i << 1), <u16>(msg.charCodeAt(i) | 0x0F00));
  return 0;
}
import { kernelAbort } from "./lib/panic"; export { kernelAbort };
