export const HOME_PATH = '/account/credential-passwords';
