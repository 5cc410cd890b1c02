/* Writes a message, character by character, to the TTY WRITE register at $a3 (channel 0) and
 * one character to channel 1 (4 words further). */
int bm_main(int gid, int idx, int n, volatile unsigned *tty)
{
    static const char msg[] = "hello from the TSAR machine\n";
    for (const char *s = msg; *s; s++)
        tty[0] = (unsigned char)*s;
    tty[4] = '!';
    return 0;
}
