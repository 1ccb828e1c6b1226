/**
 * Le catalogue français. Son type est celui du catalogue anglais : une clé manquante ou en trop fait
 * échouer `npm run check`. On vouvoie, partout.
 */
import type { Messages } from './en';

export const fr: Messages = {
  common: {
    email: 'E-mail',
    password: 'Mot de passe',
    loading: 'Chargement…',
    creating: 'Création…',
    sending: 'Envoi…',
    saving: 'Enregistrement…',
    save: 'Enregistrer',
    cancel: 'Annuler',
  },
  layout: {
    yourProfile: 'Votre profil',
    settings: 'Réglages',
    logIn: 'Se connecter',
    logOut: 'Se déconnecter',
    signUp: 'S’inscrire',
    privacy: 'Confidentialité',
  },
  tags: {
    private: 'privé',
    unlisted: 'non listé',
    public: 'public',
    owner: 'propriétaire',
    engineer: 'ingé son',
    member: 'membre',
  },
  home: {
    deleted: 'Votre compte et ses données ont été supprimés.',
    heroTitle: 'Jouez ensemble, en direct, depuis votre navigateur.',
    heroText:
      'Bandmesh relie jusqu’à six musiciens directement, de navigateur à navigateur, avec la latence la plus faible que le web permette, sur des liens chiffrés ; les groupes plus nombreux passent par votre propre relais, qui transmet l’audio chiffré par chaque musicien. Enregistrez le bœuf dans votre navigateur — le mix et la piste de chaque musicien, calés — et chacun voit qui enregistre. Hébergez-le vous-même en une commande.',
    createAccount: 'Créer un compte',
    hi: 'Bonjour {{name}}',
    yourStudios: 'Vos studios',
    noStudios: 'Pas encore de studio : créez-en un, ou ouvrez un lien qu’un membre du groupe vous a envoyé.',
    publicStudios: 'Studios publics',
    noPublicStudios: 'Aucun studio public pour le moment.',
    createStudio: 'Créer un studio',
    verifyToCreate:
      'Confirmez votre adresse e-mail pour créer un studio : ouvrez le lien envoyé à {{email}}. Vous pouvez déjà rejoindre les studios de votre groupe.',
  },
  createStudio: {
    name: 'Nom du studio',
    nameMissing: 'Donnez un nom au studio.',
    address: 'Adresse',
    addressPublic: 'Votre studio sera à l’adresse {{path}}',
    addressHidden:
      'Votre studio sera à l’adresse {{path}}, avec une fin aléatoire : seules les personnes à qui vous envoyez le lien pourront le trouver',
    description: 'Description (facultative)',
    submit: 'Créer le studio',
  },
  visibility: {
    legend: 'Qui peut entrer',
    unlisted: 'Toute personne qui a le lien',
    public: 'Listé publiquement',
    private: 'Sur invitation seulement',
  },
  login: {
    title: 'Connexion',
    busy: 'Connexion…',
    submit: 'Se connecter',
    forgot: 'Mot de passe oublié ?',
    newHere: 'Nouveau ici ?',
  },
  signup: {
    title: 'Créez votre compte',
    name: 'Nom',
    nameMissing: 'Dites au groupe comment vous vous appelez.',
    instrument: 'Instrument',
    instrumentPlaceholder: 'guitare, batterie, chant…',
    passwordHint: 'Au moins 10 caractères.',
    privacy:
      'Votre adresse e-mail reste privée ; votre profil n’est visible que des personnes de vos studios.',
    privacyLink: 'Ce qui est conservé, et combien de temps',
    haveAccount: 'Vous avez déjà un compte ?',
  },
  error: {
    notFoundTitle: 'Page introuvable',
    notFoundHeading: 'Cette page n’existe pas',
    nothingAt: 'Il n’y a rien à l’adresse',
    checkLink:
      'Si quelqu’un vous a donné ce lien, vérifiez-le avec cette personne : le studio a peut-être été supprimé.',
    title: 'Un problème est survenu',
    couldNotShow: 'La page n’a pas pu être affichée.',
    reload: 'Recharger la page peut aider.',
    back: 'Retour à vos studios',
  },
  verifyBanner: {
    checkInbox: 'Consultez votre boîte de réception.',
    sentTo: 'Nous avons envoyé un lien à',
    toConfirm: 'pour confirmer votre adresse.',
    until:
      'D’ici là, vous pouvez rejoindre des studios mais pas en créer, et le relais TURN de ce serveur reste fermé pour vous.',
    sent: 'Envoyé. Consultez votre boîte de réception (et les indésirables).',
    sendAgain: 'Renvoyer le lien',
  },
  settings: {
    title: 'Réglages',
    language: 'Langue',
    languageLegend: 'Langue de l’application et des e-mails que nous vous envoyons',
    appearance: 'Apparence',
    notSaved:
      'Impossible d’enregistrer ce choix dans votre compte ; il ne s’applique pour l’instant que dans ce navigateur.',
    savedToAccount:
      'Enregistré dans votre compte, pour vous suivre dans vos autres navigateurs, et dans ce navigateur.',
    savedInBrowser: 'Enregistré dans ce navigateur. Connectez-vous pour le garder avec votre compte.',
    yourData: 'Vos données',
    privacyLink: 'Ce que ce serveur conserve, où, et combien de temps',
  },
  theme: {
    legend: 'Thème',
    light: 'Clair',
    lightNote: 'Texte sombre sur panneaux clairs : plus confortable dans une pièce lumineuse.',
    dark: 'Sombre',
    darkNote: 'Texte clair sur panneaux sombres : plus confortable sur scène et la nuit.',
    system: 'Suivre le système',
    systemNote: 'Le réglage de votre ordinateur, quand il change aussi.',
  },
  dataRights: {
    download: 'Télécharger mes données',
    downloadText:
      'Un fichier JSON avec tout ce que ce serveur conserve sur vous : votre profil, les studios dont vous êtes propriétaire, vos adhésions et les prises que vous avez envoyées (leurs détails ; les fichiers audio se téléchargent dans chaque studio).',
    preparing: 'Préparation…',
    downloadFailed: 'Impossible de préparer vos données. Veuillez réessayer.',
    delete: 'Supprimer mon compte',
    deleteText:
      'Supprime définitivement votre compte, votre profil et votre photo, vos adhésions et les prises que vous avez envoyées. Un studio dont vous êtes propriétaire passe à son ingé son le plus ancien ; un studio sans ingé son est supprimé avec ses prises envoyées. Les prises gardées dans votre navigateur y restent jusqu’à ce que vous les supprimiez.',
    deleteStart: 'Supprimer mon compte…',
    passwordLabel: 'Votre mot de passe, pour confirmer',
    passwordMissing: 'Saisissez votre mot de passe pour confirmer.',
    deleting: 'Suppression…',
    deleteConfirm: 'Supprimer définitivement mon compte',
    keep: 'Garder mon compte',
    wrongPassword: 'Ce mot de passe n’est pas le bon : votre compte n’a pas été supprimé.',
    unreachable: 'Impossible de joindre le serveur. Votre compte n’a pas été supprimé.',
    failed: 'Un problème est survenu. Votre compte n’a pas été supprimé.',
  },
  profile: {
    intro:
      'Ce que les personnes de vos studios voient à côté de votre nom. Personne d’autre ne le voit, et votre adresse e-mail reste privée.',
    city: 'Ville',
    country: 'Pays',
    skill: 'Niveau',
    skillNone: 'Je préfère ne pas le dire',
    skills: {
      beginner: 'Débutant',
      intermediate: 'Intermédiaire',
      advanced: 'Confirmé',
      professional: 'Professionnel',
    },
    saved: 'Enregistré.',
    save: 'Enregistrer le profil',
    instruments: 'Instruments',
    yourInstruments: 'Vos instruments',
    removeInstrument: 'Retirer {{instrument}}',
    instrumentsFull: 'Vous ne pouvez pas en ajouter plus',
    add: 'Ajouter',
    instrumentsNote:
      'Jusqu’à {{max}}, de {{length}} caractères au plus chacun. Les personnes de vos studios les voient à côté de votre nom.',
    instrumentTooLong: 'Chaque instrument doit tenir en {{max}} caractères au plus.',
    tooManyInstruments: 'Indiquez au plus {{max}} instruments.',
    picture: 'Photo',
    avatarOf: 'Photo de {{name}}',
    chooseAnother: 'En choisir une autre…',
    choosePicture: 'Choisir une photo…',
    remove: 'Retirer',
    pictureNote: 'JPEG, PNG, WebP ou GIF, 2 Mo au plus. Visible seulement des personnes de vos studios.',
    avatarTooBig: 'Ce fichier fait {{size}} ; la limite est de {{limit}}.',
    avatarLimit: 'La limite est de {{limit}}.',
    avatarType: 'Seulement JPEG, PNG, WebP ou GIF.',
    avatarUnusable: 'Cette photo n’a pas pu être utilisée. Essayez-en une autre.',
  },
  errors: {
    unreachable: 'Impossible de joindre le serveur. Vérifiez votre connexion et réessayez.',
    wrongLogin: 'E-mail ou mot de passe incorrect.',
    tooManyRequests: 'Trop de requêtes en peu de temps. Patientez quelques minutes et réessayez.',
    fixFields: 'Veuillez corriger les champs signalés.',
    generic: 'Un problème est survenu. Veuillez réessayer.',
    invalidValue: 'Cette valeur n’est pas valide.',
    logInFirst: 'Connectez-vous d’abord.',
    emailTaken: 'Un compte existe déjà avec cette adresse. Voulez-vous plutôt vous connecter ?',
    emailInvalid: 'Cela ne ressemble pas à une adresse e-mail.',
    passwordShort: 'Choisissez un mot de passe plus long : au moins 10 caractères.',
    slugTaken: 'Cette adresse est déjà prise par un autre studio. Essayez-en une autre.',
    slugFormat:
      'Utilisez 3 à 40 lettres minuscules, chiffres et tirets, en commençant et finissant par une lettre ou un chiffre.',
    emailNotVerified:
      'Confirmez d’abord votre adresse e-mail : ouvrez le lien que nous vous avons envoyé (le bandeau en haut peut le renvoyer). Créer un studio demande une adresse confirmée.',
    invalidInvitation:
      'Cette invitation n’est pas valide. Demandez-en une nouvelle à la personne qui l’a envoyée.',
    invitationExpired: 'Ce lien d’invitation a expiré. Demandez-en un nouveau à la personne qui l’a envoyé.',
    invitationUsedUp:
      'Ce lien d’invitation a déjà servi autant de fois qu’il le permet. Demandez-en un nouveau à la personne qui l’a envoyé.',
    invitationRevoked:
      'Ce lien d’invitation a été retiré. Demandez-en un nouveau à la personne qui l’a envoyé.',
    cannotInvite: 'Vous ne pouvez pas inviter de personnes dans ce studio avec ce rôle.',
    tooManyInvitations: 'Ce studio a trop d’invitations ouvertes. Retirez-en d’abord quelques-unes.',
    wrongPassword: 'Ce mot de passe n’est pas le bon.',
  },
};
