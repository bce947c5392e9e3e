import { createTheme } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'indigo',
  defaultRadius: 'sm',
  // People who ask their system for less motion get dialogs without fades and slides.
  respectReducedMotion: true,
});
