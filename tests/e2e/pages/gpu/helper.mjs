export const helperLoaded = 'module-helper';
